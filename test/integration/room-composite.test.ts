import { join } from 'node:path';
import { EgressStatus, EncodedFileOutput, type EgressInfo } from '@livekit/protocol';
import type { EgressClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture, waitForStatus, type LocalFixture } from '#bench/local-fixture.ts';
import { avSync, freezes, mediaDuration, probe, volume } from '#bench/media-check.ts';
import { startSyntheticPublisher, type SyntheticPublisher } from '#bench/synthetic-publisher.ts';
import { distinctFramesPerSecond } from '#bench/distinct-frames.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const room = 'composite';

describe('room composite egress (real LiveKit, Chromium, ffmpeg)', () => {
  let livekit: LiveKitServer;
  let local: LocalFixture;
  let client: EgressClient;
  const publishers: SyntheticPublisher[] = [];

  beforeAll(async () => {
    livekit = await startLiveKitServer();
    local = await startLocalFixture(livekit);
    client = local.client;
    const join = { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret, room };
    // A beeps and flashes (the A/V reference); B adds a second moving tile without sound.
    publishers.push(
      await startSyntheticPublisher({
        ...join,
        identity: 'alice',
        audio: true,
        video: { codec: 'vp8', bitrateKbps: 1200 },
      }),
    );
    publishers.push(
      await startSyntheticPublisher({ ...join, identity: 'bob', video: { codec: 'vp8', bitrateKbps: 1200 } }),
    );
  });

  afterAll(async () => {
    await Promise.all(publishers.map((p) => p.stop()));
    await local?.stop();
    await livekit?.stop();
  });

  it('records the grid layout to MP4: H.264 720p30 + AAC, wall-clock duration, in sync, every frame painted', async () => {
    const started = Date.now();
    const info = await client.startRoomCompositeEgress(room, new EncodedFileOutput({ filepath: 'rc/grid' }), {
      layout: 'grid',
    });
    expect(info.status).toBe(EgressStatus.EGRESS_STARTING);
    const active = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_ACTIVE, 15_000);
    const activeAt = Number(active.updatedAt / 1_000_000n);
    console.log('ACTIVE after', activeAt - started, 'ms');
    await sleep(Number(process.env['RC_SECONDS'] ?? 30) * 1000);
    const stopping = await client.stopEgress(info.egressId);
    expect(stopping.status).toBe(EgressStatus.EGRESS_ENDING);
    const stopAt = Number(stopping.updatedAt / 1_000_000n);
    const done: EgressInfo = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_COMPLETE, 30_000);
    const result = done.fileResults[0];
    expect(result?.filename).toBe('rc/grid.mp4');
    const file = join(local.outputDir, 'rc/grid.mp4');
    const probed = await probe(file);
    console.log(JSON.stringify(probed), stopAt - activeAt);
    expect(probed.video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
    expect(probed.audio).toMatchObject({ codec: 'aac', sampleRate: 44100, channels: 2 });
    const duration = await mediaDuration(file);
    if (process.env['RC_FRAME'] !== undefined) {
      const { execFileSync } = await import('node:child_process');
      execFileSync('ffmpeg', ['-y', '-v', 'error', '-ss', '5', '-i', file, '-frames:v', '1', process.env['RC_FRAME']]);
    }
    console.log('duration', duration, 'wall', (stopAt - activeAt) / 1000);
    console.log('volume', await volume(file));
    console.log('freezes', await freezes(file, { minDurationS: 0.5 }));
    console.log('distinct fps', await distinctFramesPerSecond(file));
    console.log('sync', JSON.stringify(await avSync(file, { region: { x: 0.5, y: 0.25, width: 0.5, height: 0.5 } })));
  }, 120_000);
});
