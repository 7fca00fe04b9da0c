import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EgressStatus, EncodedFileOutput, SegmentedFileOutput } from '@livekit/protocol';
import type { EgressClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture, waitForStatus, type LocalFixture } from '#bench/local-fixture.ts';
import { decodeErrors, frameNumbers, mediaDuration, probe, volume } from '#bench/media-check.ts';
import { startSyntheticPublisher, type SyntheticPublisher } from '#bench/synthetic-publisher.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Pids of every process still running in process group `pgid` (zombies are dead, waiting to be reaped). */
function groupMembers(pgid: number): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, group, stat]) => Number(group) === pgid && pid !== undefined && !(stat ?? '').startsWith('Z'))
    .map(([pid]) => Number(pid));
}

describe('composite egress crash safety and isolation (real LiveKit, Chromium, ffmpeg)', () => {
  let livekit: LiveKitServer;
  let local: LocalFixture;
  let client: EgressClient;
  const publishers: SyntheticPublisher[] = [];

  beforeAll(async () => {
    livekit = await startLiveKitServer();
    local = await startLocalFixture(livekit);
    client = local.client;
    publishers.push(
      await startSyntheticPublisher({
        url: livekit.url,
        apiKey: livekit.apiKey,
        apiSecret: livekit.apiSecret,
        room: 'crash',
        identity: 'carol',
        audio: true,
        video: { codec: 'vp8', width: 640, height: 360, bitrateKbps: 1000 },
      }),
    );
  });

  afterAll(async () => {
    await Promise.all(publishers.map((p) => p.stop()));
    await local?.stop();
    await livekit?.stop();
  });

  it('fails on SIGKILL of the task after 20 s, leaving a playable MP4 of ≥ 15 s, the HLS up to the kill, no process', async () => {
    const info = await client.startRoomCompositeEgress(
      'crash',
      {
        file: new EncodedFileOutput({ filepath: 'crash/rc' }),
        segments: new SegmentedFileOutput({ filenamePrefix: 'crash/hls/rc', segmentDuration: 2 }),
      },
      { layout: 'grid' },
    );
    await waitForStatus(client, info.egressId, EgressStatus.EGRESS_ACTIVE, 15_000);
    await sleep(20_000);
    const record = await local.system.store.get(info.egressId);
    const pid = local.system.launcher.pidOf(record?.dispatch.taskId ?? '');
    expect(pid).toBeDefined();
    expect(groupMembers(pid!).length).toBeGreaterThan(3); // task, Xvfb, pulseaudio, Chromium…, ffmpeg…
    process.kill(pid!, 'SIGKILL');
    const failed = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_FAILED, 10_000);
    expect(failed.error).toBe('egress task stopped unexpectedly: signal SIGKILL');
    await sleep(1_000);
    expect(groupMembers(pid!)).toEqual([]);

    const file = join(local.outputDir, 'crash/rc.mp4');
    expect(await mediaDuration(file)).toBeGreaterThanOrEqual(15);
    expect((await probe(file)).video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
    const numbers = await frameNumbers(file, { region: { x: 0.005, y: 0.254, width: 0.99, height: 0.49 } });
    expect(numbers.frames.length).toBeGreaterThanOrEqual(15 * 30 * 0.95);
    expect((await volume(file)).silent).toBe(false);

    const playlist = await readFile(join(local.outputDir, 'crash/hls/rc.m3u8'), 'utf8');
    const entries = playlist.split('\n').filter((l) => l.endsWith('.ts'));
    expect(entries.length).toBeGreaterThanOrEqual(8);
    for (const entry of entries) expect(await decodeErrors(join(local.outputDir, 'crash/hls', entry))).toEqual([]);
  }, 120_000);

  it('keeps two recorders on one machine apart: each its own display and audio', async () => {
    const [loud, quiet] = await Promise.all([
      client.startRoomCompositeEgress('crash', new EncodedFileOutput({ filepath: 'iso/loud' }), { layout: 'grid' }),
      client.startRoomCompositeEgress('nobody-here', new EncodedFileOutput({ filepath: 'iso/quiet' }), {
        layout: 'grid',
      }),
    ]);
    await Promise.all([loud, quiet].map((e) => waitForStatus(client, e.egressId, EgressStatus.EGRESS_ACTIVE, 20_000)));
    await sleep(8_000);
    await Promise.all([loud, quiet].map((e) => client.stopEgress(e.egressId)));
    await Promise.all(
      [loud, quiet].map((e) => waitForStatus(client, e.egressId, EgressStatus.EGRESS_COMPLETE, 30_000)),
    );
    const loudFile = join(local.outputDir, 'iso/loud.mp4');
    const quietFile = join(local.outputDir, 'iso/quiet.mp4');
    expect((await volume(loudFile)).silent).toBe(false);
    // The empty room's recording hears and shows nothing of the other room.
    expect((await volume(quietFile)).silent).toBe(true);
    const region = { x: 0, y: 0, width: 1, height: 1 };
    const shown = (await frameNumbers(quietFile, { region })).frames.filter((f) => f.number !== null);
    expect(shown).toEqual([]);
    expect(
      (await frameNumbers(loudFile, { region: { x: 0.005, y: 0.254, width: 0.99, height: 0.49 } })).numbers.length,
    ).toBeGreaterThan(0);
  }, 120_000);
});
