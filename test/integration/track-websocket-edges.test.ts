import { EgressStatus, StreamInfo_Status } from '@livekit/protocol';
import { RoomServiceClient, ServerError, type EgressClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture, waitForStatus, type LocalFixture } from '#bench/local-fixture.ts';
import { startSyntheticPublisher, type SyntheticPublisher } from '#bench/synthetic-publisher.ts';
import { startWsReceiver, type WsReceiver } from '#bench/ws-receiver.ts';
import { freePort } from '#shared/ports.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('track egress to a WebSocket: edges and failures', () => {
  let livekit: LiveKitServer;
  let local: LocalFixture;
  let client: EgressClient;
  let ws: WsReceiver;
  const publishers: SyntheticPublisher[] = [];

  const publish = async (room: string, identity: string, video = false): Promise<SyntheticPublisher> => {
    const p = await startSyntheticPublisher({
      url: livekit.url,
      apiKey: livekit.apiKey,
      apiSecret: livekit.apiSecret,
      room,
      identity,
      audio: true,
      ...(video ? { video: { codec: 'vp8' as const } } : {}),
    });
    publishers.push(p);
    return p;
  };

  beforeAll(async () => {
    livekit = await startLiveKitServer();
    ws = await startWsReceiver();
    local = await startLocalFixture(livekit);
    client = local.client;
  });

  afterAll(async () => {
    await Promise.all(publishers.map((p) => p.stop()));
    await local?.stop();
    await ws?.stop();
    await livekit?.stop();
  });

  it('rejects a video track with a 400 naming the codec', async () => {
    const p = await publish('video-room', 'cam', true);
    await trackListed(livekit, 'video-room', p.videoTrackSid!);
    const err = await client.startTrackEgress('video-room', `${ws.url}/v`, p.videoTrackSid!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerError);
    expect((err as ServerError).status).toBe(400);
    expect((err as ServerError).code).toBe('invalid_argument');
    expect((err as ServerError).message).toBe('format websocket incompatible with codec video/VP8');
  });

  it('fails with a clear error, not a hang, when the WebSocket is unreachable', async () => {
    const p = await publish('unreachable-room', 'mic');
    const port = await freePort();
    const started = await client.startTrackEgress(
      'unreachable-room',
      `ws://127.0.0.1:${port}/nobody`,
      p.audioTrackSid!,
    );
    const failed = await waitForStatus(client, started.egressId, EgressStatus.EGRESS_FAILED, 15_000);
    expect(failed.error).toMatch(/^websocket connection to 127\.0\.0\.1:\d+ failed: .*ECONNREFUSED/);
    expect(failed.errorCode).toBe(503);
  });

  it('completes when the track is unpublished', async () => {
    const p = await publish('unpublish-room', 'mic');
    const started = await client.startTrackEgress('unpublish-room', `${ws.url}/u`, p.audioTrackSid!);
    await waitForStatus(client, started.egressId, EgressStatus.EGRESS_ACTIVE, 5_000);
    await sleep(2_000);
    await p.unpublish('audio');
    const done = await waitForStatus(client, started.egressId, EgressStatus.EGRESS_COMPLETE, 10_000);
    expect(done.details).toBe('End reason: Source closed');
    expect(done.streamResults[0]?.status).toBe(StreamInfo_Status.FINISHED);
  });

  it('fails the egress when its task is killed with SIGKILL', async () => {
    const p = await publish('kill-room', 'mic');
    const started = await client.startTrackEgress('kill-room', `${ws.url}/k`, p.audioTrackSid!);
    await waitForStatus(client, started.egressId, EgressStatus.EGRESS_ACTIVE, 5_000);
    const record = await local.system.store.get(started.egressId);
    const pid = local.system.launcher.pidOf(record!.dispatch.taskId!);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    const failed = await waitForStatus(client, started.egressId, EgressStatus.EGRESS_FAILED, 5_000);
    expect(failed.error).toBe('egress task stopped unexpectedly: signal SIGKILL');
  });

  it('aborts an egress stopped before it started', async () => {
    const started = await client.startTrackEgress('empty-room', `${ws.url}/a`, 'TR_doesnotexist');
    const stopped = await client.stopEgress(started.egressId);
    expect(stopped.status).toBe(EgressStatus.EGRESS_ABORTED);
    expect(stopped.error).toBe('Stop called before pipeline could start');
    expect(stopped.errorCode).toBe(412);
    const again = await client.stopEgress(started.egressId).catch((e: unknown) => e);
    expect((again as ServerError).code).toBe('failed_precondition');
    expect((again as ServerError).message).toBe('egress with status EGRESS_ABORTED cannot be stopped');
  });

  it('keeps every record across a restart of the local system', async () => {
    const before = await client.listEgress();
    expect(before.length).toBeGreaterThanOrEqual(4);
    local = await local.restart();
    client = local.client;
    const after = await client.listEgress();
    expect(after.map((i) => [i.egressId, i.status]).sort()).toEqual(before.map((i) => [i.egressId, i.status]).sort());
  });
});

/** Waits until the server lists the track (a publisher's publish resolves slightly before that). */
async function trackListed(livekit: LiveKitServer, room: string, sid: string): Promise<void> {
  const rooms = new RoomServiceClient(livekit.httpUrl, livekit.apiKey, livekit.apiSecret);
  for (let i = 0; i < 50; i += 1) {
    const participants = await rooms.listParticipants(room);
    if (participants.some((p) => p.tracks.some((t) => t.sid === sid))) return;
    await sleep(100);
  }
  throw new Error(`track ${sid} never listed`);
}
