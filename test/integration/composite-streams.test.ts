import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  EgressStatus,
  EncodedFileOutput,
  SegmentedFileOutput,
  StreamInfo_Status,
  StreamOutput,
  StreamProtocol,
} from '@livekit/protocol';
import type { EgressClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture, waitForInfo, waitForStatus, type LocalFixture } from '#bench/local-fixture.ts';
import { decodeErrors, freezes, mediaDuration, probe } from '#bench/media-check.ts';
import { startRtmpServer, type RtmpServer } from '#bench/rtmp-server.ts';
import { startPublisherProcess, type PublisherHandle } from '#bench/publisher-process.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const room = 'streams';

describe('composite egress to RTMP, file and HLS at once (real nginx-rtmp, Chromium, ffmpeg)', () => {
  let livekit: LiveKitServer;
  let local: LocalFixture;
  let client: EgressClient;
  let primary: RtmpServer;
  let backup: RtmpServer;
  const publishers: PublisherHandle[] = [];

  beforeAll(async () => {
    livekit = await startLiveKitServer();
    local = await startLocalFixture(livekit);
    client = local.client;
    [primary, backup] = await Promise.all([
      startRtmpServer({ apps: ['live'], record: true }),
      startRtmpServer({ apps: ['live'], record: true }),
    ]);
    const join = { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret, room };
    const video = { codec: 'vp8', width: 640, height: 360, bitrateKbps: 1000 } as const;
    publishers.push(await startPublisherProcess({ ...join, identity: 'dave', audio: true, video }));
  });

  afterAll(async () => {
    await Promise.all(publishers.map((p) => p.stop()));
    await local?.stop();
    await livekit?.stop();
    await primary?.close();
    await backup?.close();
  });

  it('keeps streams independent: a bad URL fails alone, a restarted server is retried, UpdateStream adds and removes; file and HLS never freeze', async () => {
    const goodA = primary.url('live', 'key-a-secret123');
    const goodB = backup.url('live', 'key-b-secret456');
    const bad = `rtmp://127.0.0.1:${primary.port}/nosuchapp/key-bad-secret789`;
    const info = await client.startRoomCompositeEgress(
      room,
      {
        file: new EncodedFileOutput({ filepath: 'st/rc' }),
        segments: new SegmentedFileOutput({ filenamePrefix: 'st/hls/rc', segmentDuration: 2 }),
        stream: new StreamOutput({ protocol: StreamProtocol.RTMP, urls: [goodA, goodB, bad] }),
      },
      { layout: 'speaker' },
    );
    const started = Date.now();
    await waitForStatus(client, info.egressId, EgressStatus.EGRESS_ACTIVE, 15_000);
    // The bad URL fails fast and alone.
    const afterBad = await waitForInfo(
      client,
      info.egressId,
      (i) => i.streamResults.some((s) => s.status === StreamInfo_Status.FAILED),
      15_000,
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(afterBad.status).toBe(EgressStatus.EGRESS_ACTIVE);
    expect(afterBad.streamResults.filter((s) => s.status === StreamInfo_Status.ACTIVE)).toHaveLength(2);
    await sleep(5_000);

    // The backup server goes away for 5 s and comes back: its stream is retried and recovers.
    await backup.stop();
    await sleep(5_000);
    await backup.restart();
    const retried = await waitForInfo(
      client,
      info.egressId,
      (i) => i.streamResults.some((s) => s.retries > 0 && s.status === StreamInfo_Status.ACTIVE),
      30_000,
    );
    expect(retried.status).toBe(EgressStatus.EGRESS_ACTIVE);
    await sleep(4_000);

    // UpdateStream: add a third URL, remove the first.
    const goodC = primary.url('live', 'key-c-secret000');
    await client.updateStream(info.egressId, [goodC], [goodA]);
    await waitForInfo(client, info.egressId, (i) => i.streamResults.length === 4, 15_000);
    await sleep(6_000);
    await client.stopEgress(info.egressId);
    const done = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_COMPLETE, 30_000);

    // Stream keys are redacted to their first and last three characters.
    const byKey = (key: string) => done.streamResults.find((s) => s.url.endsWith(`{key...${key.slice(-3)}}`));
    expect(done.streamResults).toHaveLength(4);
    expect(JSON.stringify(done.toJson())).not.toMatch(/secret\d{3}/);
    expect(byKey('key-bad-secret789')?.status).toBe(StreamInfo_Status.FAILED);
    expect(byKey('key-bad-secret789')?.error).not.toBe('');
    expect(byKey('key-a-secret123')?.status).toBe(StreamInfo_Status.FINISHED);
    expect(byKey('key-b-secret456')?.status).toBe(StreamInfo_Status.FINISHED);
    expect(byKey('key-b-secret456')?.retries).toBeGreaterThanOrEqual(1);
    expect(byKey('key-c-secret000')?.status).toBe(StreamInfo_Status.FINISHED);
    for (const s of done.streamResults) expect(s.endedAt).toBeGreaterThan(0n);

    // What the receivers got plays: A before its removal, B after the restart, C after its addition.
    for (const [server, key] of [
      [primary, 'key-a-secret123'],
      [backup, 'key-b-secret456'],
      [primary, 'key-c-secret000'],
    ] as const) {
      const recordings = await server.recordings(key);
      const last = recordings.at(-1);
      expect(last).toBeDefined();
      const probed = await probe(last!);
      expect(probed.video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
      expect(probed.audio?.codec).toBe('aac');
      expect(await mediaDuration(last!)).toBeGreaterThan(3);
    }
    // The stream that was never interrupted holds its whole time without a freeze.
    const aFile = (await primary.recordings('key-a-secret123')).at(-1)!;
    expect(await freezes(aFile, { minDurationS: 1.5 })).toEqual([]);

    // Through all of it, the file and the HLS output never froze.
    const file = join(local.outputDir, 'st/rc.mp4');
    expect(await freezes(file, { minDurationS: 1.5 })).toEqual([]);
    expect(await decodeErrors(file)).toEqual([]);
    const playlist = await readFile(join(local.outputDir, 'st/hls/rc.m3u8'), 'utf8');
    const entries = playlist.split('\n').filter((l) => l.endsWith('.ts'));
    expect(entries.length).toBeGreaterThanOrEqual(10);
    for (const entry of entries) {
      const segment = join(local.outputDir, 'st/hls', entry);
      expect(await freezes(segment, { minDurationS: 1.5 })).toEqual([]);
    }
  }, 180_000);
});
