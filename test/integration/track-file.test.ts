import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DirectFileOutput, EgressStatus, type EgressInfo } from '@livekit/protocol';
import type { EgressClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { betweenBeeps } from '#bench/pacer.ts';
import { startSyntheticSubscriber, type SyntheticSubscriber } from '#bench/synthetic-subscriber.ts';
import { startLocalFixture, waitForStatus, type LocalFixture } from '#bench/local-fixture.ts';
import { beepTimes, decodeErrors, frameNumbers, mediaDuration, probe, volume } from '#bench/media-check.ts';
import type { SyntheticPublisherOptions } from '#bench/synthetic-publisher.ts';
import { startPublisherProcess, type PublisherHandle } from '#bench/publisher-process.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One running track egress and the wall-clock times that bound it. */
interface Run {
  readonly name: string;
  readonly egressId: string;
  activeAt: number;
  stopAt: number;
  done?: EgressInfo;
}

describe('track egress to files without transcoding (real LiveKit, rtc-node publishers)', () => {
  let livekit: LiveKitServer;
  let local: LocalFixture;
  let client: EgressClient;
  const publishers: PublisherHandle[] = [];
  let missingTrack: Promise<EgressInfo>;
  let referenceSubscriber: SyntheticSubscriber | undefined;

  const publish = async (identity: string, media: Partial<SyntheticPublisherOptions>): Promise<PublisherHandle> => {
    const p = await startPublisherProcess({
      url: livekit.url,
      apiKey: livekit.apiKey,
      apiSecret: livekit.apiSecret,
      room: 'files',
      identity,
      ...media,
    });
    publishers.push(p);
    return p;
  };

  const start = async (name: string, trackId: string): Promise<Run> => {
    const output = new DirectFileOutput({ filepath: `tracks/{publisher_identity}/{track_type}-{track_id}` });
    const info = await client.startTrackEgress('files', output, trackId);
    // Five egresses start at once beside four publishers on two cores, each video waiting for its first key
    // frame; the wait is generous (one CI run took over 5 s), the file's duration is checked against ACTIVE.
    const active = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_ACTIVE, 15_000);
    return { name, egressId: info.egressId, activeAt: Number(active.updatedAt / 1_000_000n), stopAt: 0 };
  };

  const stop = async (run: Run): Promise<void> => {
    const stopping = await client.stopEgress(run.egressId);
    run.stopAt = Number(stopping.updatedAt / 1_000_000n);
    run.done = await waitForStatus(client, run.egressId, EgressStatus.EGRESS_COMPLETE, 15_000);
  };

  beforeAll(async () => {
    livekit = await startLiveKitServer();
    local = await startLocalFixture(livekit);
    client = local.client;
    // Runs in the background while the other tests record: LiveKit waits 30 s for a track to appear.
    missingTrack = client
      .startTrackEgress('files', new DirectFileOutput({ filepath: 'missing' }), 'TR_doesnotexist')
      .then((info) => waitForStatus(client, info.egressId, EgressStatus.EGRESS_FAILED, 45_000));
    // Checked by its own test; an early teardown must not turn it into an unhandled rejection.
    missingTrack.catch(() => undefined);
  });

  afterAll(async () => {
    await referenceSubscriber?.stop();
    await Promise.all(publishers.map((p) => p.stop()));
    await local?.stop();
    await livekit?.stop();
  });

  it('copies Opus → OGG, VP8/VP9 → WebM, H.264 → MP4 with the wall-clock duration, and keeps a mute as a gap', async () => {
    const a = await publish('vp8-speaker', { audio: true, video: { codec: 'vp8' } });
    const b = await publish('h264-cam', { video: { codec: 'h264' } });
    const c = await publish('vp9-cam', { video: { codec: 'vp9' } });
    const m = await publish('muted-mic', { audio: true });
    // A reference receiver decodes the same video: what it never got, the publisher's encoder (or the SFU)
    // dropped; the file may lack those numbers and no others.
    const reference = await startSyntheticSubscriber({
      url: livekit.url,
      apiKey: livekit.apiKey,
      apiSecret: livekit.apiSecret,
      room: 'files',
      identity: 'reference',
    });
    referenceSubscriber = reference;
    const runs = await Promise.all([
      start('opus', a.audioTrackSid!),
      start('vp8', a.videoTrackSid!),
      start('h264', b.videoTrackSid!),
      start('vp9', c.videoTrackSid!),
      start('opus-muted', m.audioTrackSid!),
    ]);
    await sleep(10_000);
    await betweenBeeps(m.startedAt);
    await m.mute('audio');
    await sleep(10_000);
    await betweenBeeps(m.startedAt);
    await m.unmute('audio');
    await sleep(10_000);
    await Promise.all(runs.map(stop));

    const expected: Record<string, [string, string, string]> = {
      opus: ['opus', 'ogg', '.ogg'],
      'opus-muted': ['opus', 'ogg', '.ogg'],
      vp8: ['vp8', 'matroska,webm', '.webm'],
      vp9: ['vp9', 'matroska,webm', '.webm'],
      h264: ['h264', 'mov,mp4,m4a,3gp,3g2,mj2', '.mp4'],
    };
    const publisherOf: Record<string, PublisherHandle> = { vp8: a, h264: b, vp9: c };
    await reference.stop();
    for (const run of runs) {
      const file = run.done!.fileResults[0]!;
      const [codec, format, extension] = expected[run.name]!;
      expect(file.filename, run.name).toMatch(new RegExp(`^tracks/[a-z0-9-]+/(AUDIO|VIDEO)-TR_\\w+\\${extension}$`));
      expect(file.size, run.name).toBeGreaterThan(0n);
      const wall = (run.stopAt - run.activeAt) / 1000;
      const info = await probe(file.location);
      expect([run.name, info.streams.map((s) => s.codec)]).toEqual([run.name, [codec]]);
      expect(info.formatName, run.name).toBe(format);
      const duration = await mediaDuration(file.location);
      expect(Math.abs(duration - wall), `${run.name}: file ${duration} s vs wall ${wall} s`).toBeLessThanOrEqual(0.5);
      expect(Math.abs(Number(file.duration) / 1e9 - duration), run.name).toBeLessThan(0.2);
      expect(await decodeErrors(file.location), run.name).toEqual([]);
      const manifest = JSON.parse(await readFile(run.done!.manifestLocation, 'utf8')) as {
        egress_id: string;
        files: { filename: string }[];
      };
      expect(manifest.egress_id).toBe(run.egressId);
      expect(manifest.files[0]?.filename).toBe(file.filename);
      const publisher = publisherOf[run.name];
      if (publisher !== undefined) {
        const frames = await frameNumbers(file.location);
        expect(frames.undecodable, run.name).toBe(0);
        expect(frames.repeats, run.name).toBe(0);
        const received = new Set(
          reference.video.get(publisher.videoTrackSid!)?.frames.map((f: { number: number | null }) => f.number) ?? [],
        );
        const first = frames.first ?? 0;
        const last = frames.last ?? 0;
        const inFile = new Set(frames.numbers);
        const lostByUs = [];
        for (let n = first; n <= last; n += 1) if (!inFile.has(n) && received.has(n)) lostByUs.push(n);
        expect(received.size, run.name).toBeGreaterThan(wall * 30 * 0.9);
        expect(lostByUs, `${run.name}: frames the reference received but the file lacks`).toEqual([]);
        console.info(
          `${run.name}: ${frames.numbers.length} frames, ${frames.missing} not sent by the publisher, file ${duration.toFixed(3)} s vs wall ${wall.toFixed(3)} s`,
        );
        expect(frames.numbers.length, run.name).toBeGreaterThan(wall * 30 * 0.95);
      } else {
        console.info(`${run.name}: file ${duration.toFixed(3)} s vs wall ${wall.toFixed(3)} s`);
        expect((await volume(file.location)).silent, run.name).toBe(false);
        const beeps = await beepTimes(file.location);
        const muted = run.name === 'opus-muted';
        const gaps = beeps.slice(1).map((t, i) => t - beeps[i]!);
        // A publisher starved of CPU skips audio to stay on its clock (content jumps ahead, so the next beep
        // comes early by what was skipped): that gap is the publisher's, and only that one is excused.
        const skips = ((run.name === 'opus' ? a : m).stats().audio?.skips ?? []).filter(
          (s) => s.atMs >= run.activeAt - 1_000 && s.atMs <= run.stopAt,
        );
        const detail = `${run.name}: ${beeps.length} beeps, gaps ${gaps.map((g) => g.toFixed(3)).join(' ')}; publisher skips ${JSON.stringify(skips)}`;
        // A beep a second for the wall-clock time recorded (≈ 30 s; longer when the mute commands were slow)
        // — minus the 10 s of mute, which stay in the file as silence.
        const heard = wall - (muted ? 10 : 0);
        expect(beeps.length, detail).toBeGreaterThanOrEqual(Math.floor(heard) - 2);
        expect(beeps.length, detail).toBeLessThanOrEqual(Math.ceil(heard) + 1);
        // A gap is n seconds of beeps minus what the publisher skipped around it (a skip over a beep loses it).
        const explained = (g: number, i: number): boolean => {
          const from = run.activeAt + beeps[i]! * 1000 - 500;
          const to = run.activeAt + beeps[i + 1]! * 1000 + 500;
          const skippedS =
            skips.filter((s) => s.atMs >= from && s.atMs <= to).reduce((t, s) => t + s.contentMs, 0) / 1000;
          const n = Math.round(g + skippedS);
          return skippedS > 0 && (n === 1 || n === 2) && Math.abs(g - (n - skippedS)) <= 0.05;
        };
        const off = gaps.filter((g, i) => Math.abs(g - 1) > 0.05 && !explained(g, i));
        expect(off.length, detail).toBe(muted ? 1 : 0);
        if (muted) expect(Math.max(...gaps)).toBeGreaterThan(9.5);
      }
    }
  }, 120_000);

  it('completes with a playable file when the publisher leaves, and keeps ≥ 15 s of a task killed at 20 s', async () => {
    const leaving = await publish('leaver', { audio: true });
    const crashing = await publish('crash-cam', { video: { codec: 'vp8' } });
    const [left, killed] = await Promise.all([
      start('left', leaving.audioTrackSid!),
      start('killed', crashing.videoTrackSid!),
    ]);
    await sleep(5_000);
    await leaving.stop();
    const done = await waitForStatus(client, left.egressId, EgressStatus.EGRESS_COMPLETE, 15_000);
    expect(done.details).toBe('End reason: Source closed');
    const leftFile = done.fileResults[0]!;
    expect(await mediaDuration(leftFile.location)).toBeGreaterThan(4);
    expect(await decodeErrors(leftFile.location)).toEqual([]);

    await sleep(Math.max(0, killed.activeAt + 20_000 - Date.now()));
    const record = await local.system.store.get(killed.egressId);
    process.kill(local.system.launcher.pidOf(record!.dispatch.taskId!)!, 'SIGKILL');
    const failed = await waitForStatus(client, killed.egressId, EgressStatus.EGRESS_FAILED, 5_000);
    expect(failed.error).toBe('egress task stopped unexpectedly: signal SIGKILL');
    const partial = join(local.outputDir, failed.fileResults[0]!.filename);
    const frames = await frameNumbers(partial);
    expect(frames.numbers.length / 30).toBeGreaterThanOrEqual(15);
    expect((await probe(partial)).video?.codec).toBe('vp8');
  }, 60_000);

  it('fails with "track not found" when the track never appears', async () => {
    const failed = await missingTrack;
    expect(failed.error).toBe('track TR_doesnotexist not found');
    expect(failed.errorCode).toBe(404);
  }, 60_000);
});
