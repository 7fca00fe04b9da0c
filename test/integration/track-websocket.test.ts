import { EgressStatus, StreamInfo_Status } from '@livekit/protocol';
import { WebhookReceiver, type EgressClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { betweenBeeps } from '#bench/pacer.ts';
import { startLocalFixture, waitForStatus, type LocalFixture } from '#bench/local-fixture.ts';
import { startPublisherProcess, type PublisherHandle } from '#bench/publisher-process.ts';
import { startWebhookReceiver, type WebhookReceiverServer } from '#bench/webhook-receiver.ts';
import { startWsReceiver, type WsReceiver } from '#bench/ws-receiver.ts';
import { beepTimes, volume } from '#bench/media-check.ts';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const pcmBytesPerSecond = 48_000 * 2 * 2;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('track egress to a WebSocket (local mode, real LiveKit server)', () => {
  let livekit: LiveKitServer;
  let local: LocalFixture;
  let client: EgressClient;
  let hooks: WebhookReceiverServer;
  let ws: WsReceiver;
  let publisher: PublisherHandle;
  const room = 'ws-room';

  beforeAll(async () => {
    livekit = await startLiveKitServer();
    hooks = await startWebhookReceiver();
    ws = await startWsReceiver({ recordDir: await mkdtemp(join(tmpdir(), 'ue-ws-')) });
    local = await startLocalFixture(livekit, { webhookUrls: [hooks.url] });
    client = local.client;
    publisher = await startPublisherProcess({
      ...join_(livekit, room, 'speaker'),
      audio: true,
      video: { codec: 'vp8' },
    });
  });

  afterAll(async () => {
    await publisher?.stop();
    await local?.stop();
    await ws?.stop();
    await hooks?.stop();
    await livekit?.stop();
  });

  it('streams 48 kHz stereo PCM with mute frames, stops via StopEgress and signs every webhook', async () => {
    const trackId = publisher.audioTrackSid!;
    const started = await client.startTrackEgress(room, `${ws.url}/pcm?token=receiver-secret-token`, trackId);
    expect(started.status).toBe(EgressStatus.EGRESS_STARTING);
    expect(started.egressId).toMatch(/^EG_[0-9A-Za-z]{12}$/);
    expect(started.roomName).toBe(room);
    expect(JSON.stringify(started.toJson())).not.toContain('receiver-secret-token');

    const active = await waitForStatus(client, started.egressId, EgressStatus.EGRESS_ACTIVE, 5_000);
    const activeAt = Date.now();
    const conn = await ws.waitForConnection(5_000);
    expect(conn.headers['content-type']).toBe('audio/x-raw');
    expect(active.streamResults[0]?.status).toBe(StreamInfo_Status.ACTIVE);

    await sleep(10_000);
    await betweenBeeps(publisher.startedAt);
    await publisher.mute('audio');
    await sleep(5_000);
    await betweenBeeps(publisher.startedAt);
    await publisher.unmute('audio');
    await sleep(Math.max(0, activeAt + 30_000 - Date.now()));

    const stopped = await client.stopEgress(started.egressId);
    expect(stopped.status).toBe(EgressStatus.EGRESS_ENDING);
    const done = await waitForStatus(client, started.egressId, EgressStatus.EGRESS_COMPLETE, 15_000);
    const wallSeconds = (Date.now() - activeAt) / 1000;
    await conn.closed;

    // ≥ 5.7 MB per 30 s: the PCM keeps pace with the wall clock through the mute.
    expect(conn.binaryBytes).toBeGreaterThanOrEqual(5_700_000);
    expect(conn.binaryBytes).toBeLessThanOrEqual(pcmBytesPerSecond * (wallSeconds + 1));
    expect(conn.texts.map((t) => t.text)).toEqual(['{"muted":true}', '{"muted":false}']);
    expect(conn.close?.code).toBe(1000);

    const stream = done.streamResults[0];
    expect(stream?.status).toBe(StreamInfo_Status.FINISHED);
    expect(stream?.url).not.toContain('receiver-secret-token');
    const streamSeconds = Number(stream?.duration ?? 0n) / 1e9;
    expect(Math.abs(streamSeconds - conn.binaryBytes / pcmBytesPerSecond)).toBeLessThan(1.5);
    expect(done.details).toBe('End reason: StopEgress API');

    const listed = await client.listEgress({ roomName: room });
    expect(listed.map((i) => i.egressId)).toContain(started.egressId);
    expect((await client.listEgress({ roomName: room, active: true })).map((i) => i.egressId)).not.toContain(
      started.egressId,
    );

    // The audio is the publisher's: loud enough, a beep once a second, silence while muted.
    const pcm = { pcm: conn.file!, channels: 2 };
    expect((await volume(pcm)).silent).toBe(false);
    const beeps = await beepTimes(pcm);
    // 30 s minus the 5 s mute: at least 23 beeps, each a second after the one before (gaps only at the mute).
    expect(beeps.length).toBeGreaterThanOrEqual(23);
    const intervals = beeps.slice(1).map((t, i) => t - (beeps[i] ?? 0));
    const regular = intervals.filter((d) => d < 1.5);
    expect(regular.length).toBeGreaterThanOrEqual(beeps.length - 3);
    for (const d of regular) expect(Math.abs(d - 1)).toBeLessThan(0.06);

    // Webhooks: started, updated (ACTIVE), updated (ENDING), ended — each verified by the SDK's receiver.
    await local.system.drainWebhooks();
    await hooks.waitFor((r) => r.some((w) => w.body.includes('egress_ended')), 10_000);
    const receiver = new WebhookReceiver(livekit.apiKey, livekit.apiSecret);
    const events = [];
    for (const hook of hooks.received) {
      expect(hook.headers['content-type']).toBe('application/webhook+json');
      const event = await receiver.receive(hook.body, hook.headers.authorization);
      if (event.egressInfo?.egressId === started.egressId) events.push(event);
    }
    expect(events.map((e) => [e.event, e.egressInfo?.status])).toEqual([
      ['egress_started', EgressStatus.EGRESS_STARTING],
      ['egress_updated', EgressStatus.EGRESS_ACTIVE],
      ['egress_updated', EgressStatus.EGRESS_ENDING],
      ['egress_ended', EgressStatus.EGRESS_COMPLETE],
    ]);
  }, 90_000);
});

function join_(livekit: LiveKitServer, room: string, identity: string) {
  return { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret, room, identity };
}
