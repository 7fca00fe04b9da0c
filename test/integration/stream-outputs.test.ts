import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EgressInfo, StreamInfo_Status, type StreamInfo } from '@livekit/protocol';
import { freeUdpPort } from '#bench/livekit-server.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEncodedTestStream, type EncodedTestStream } from '#bench/encoded-test-stream.ts';
import { decodeErrors, freezes, probe } from '#bench/media-check.ts';
import { startRtmpPlayer, startRtmpServer, type RtmpPlayer, type RtmpServer } from '#bench/rtmp-server.ts';
import { runTool } from '#bench/tool-run.ts';
import { validateStreamUrl, type StreamUrl } from '#domain/request/stream-url.ts';
import { createLogger, type Logger } from '#shared/logger.ts';
import { ManagedProcess } from '#shared/managed-process.ts';
import { freePort } from '#shared/ports.ts';
import { TsFanout } from '#task/encoder/ts-fanout.ts';
import type { EncodedFanout } from '#task/sinks/encoded-fanout.ts';
import type { EncodedSink } from '#task/sinks/encoded-sink.ts';
import { StreamOutputs, type NoStreamsLeft } from '#task/sinks/stream-outputs.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const keys = { a: 'keyA-4f9c2d81e7', b: 'keyB-7be31a09c4', a2: 'keyA2-19d0c7e3aa', bad: 'keyBad-55e1c2f0b9' };
const rtmp = (url: string): StreamUrl => validateStreamUrl(url, 'rtmp');
/** The URLs of the RTMP run: good ones on both servers, and every kind of bad one. */
type Urls = Record<'a' | 'b' | 'badPort' | 'badApp' | 'blocked' | 'a2' | 'badApp2', StreamUrl>;

/** Polls `check` every 100 ms until it returns a value, for at most `timeoutMs`. */
async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Largest gap (s) between consecutive video packet timestamps of `file`, and where. The first packet is
 * skipped: nginx-rtmp sends a joining player the AVC sequence header at 0, then media from the next keyframe.
 */
async function maxVideoPtsGap(file: string): Promise<{ gap: number; at: number }> {
  const chunks: Buffer[] = [];
  const args = ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file];
  await runTool('ffprobe', args, { onStdout: (c) => chunks.push(c) });
  const times = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).map(Number);
  times.sort((x, y) => x - y);
  let [gap, at] = [0, 0];
  for (let i = 2; i < times.length; i += 1) {
    const step = (times[i] ?? 0) - (times[i - 1] ?? 0);
    if (step > gap) [gap, at] = [step, times[i - 1] ?? 0];
  }
  return { gap, at };
}

/** StreamOutputs under test, with every update it sent applied to one EgressInfo. */
class Observed {
  readonly info = new EgressInfo();
  readonly updates: StreamInfo[][] = [];
  readonly noneLeft: NoStreamsLeft[] = [];
  readonly out: StreamOutputs;

  constructor(fanout: EncodedFanout, logger: Logger) {
    this.out = new StreamOutputs({
      fanout,
      protocol: 'rtmp',
      logger,
      onUpdate: (patch) => {
        patch(this.info);
        this.updates.push(this.info.streamResults.map((s) => s.clone()));
      },
      onNoneLeft: (event) => this.noneLeft.push(event),
    });
  }

  byUrl(u: StreamUrl): StreamInfo | undefined {
    return this.out.streams.find((s) => s.url === u.redactedUrl);
  }

  publishing(u: StreamUrl): boolean {
    return this.out.states().find((s) => s.info.url === u.redactedUrl)?.publishing === true;
  }

  /** Resolves once `u` is ACTIVE with `startedAt` set; with the ms since `since`. */
  async started(u: StreamUrl, since: number): Promise<number> {
    return waitFor(`${u.redactedUrl} started`, 10_000, () => {
      const s = this.byUrl(u);
      return s?.status === StreamInfo_Status.ACTIVE && s.startedAt > 0n ? Date.now() - since : undefined;
    });
  }

  /** Resolves once `u` is FAILED; with the ms since `since`. */
  async failed(u: StreamUrl, since: number): Promise<number> {
    return waitFor(`${u.redactedUrl} FAILED`, 10_000, () =>
      this.byUrl(u)?.status === StreamInfo_Status.FAILED ? Date.now() - since : undefined,
    );
  }
}

describe('stream outputs to real nginx-rtmp servers', () => {
  let serverA: RtmpServer;
  let serverB: RtmpServer;
  let dir: string;
  let stream: EncodedTestStream | undefined;
  let observed: Observed | undefined;
  let player: RtmpPlayer | undefined;
  const lines: string[] = [];
  const logger = createLogger({}, { level: 'debug', write: (line) => lines.push(line) });
  // The bench's own processes (servers, player) get keyed URLs too: their lines stay out of `lines`.
  const benchLogger = createLogger({ component: 'stream-outputs-bench' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ue-stream-outputs-'));
    [serverA, serverB] = await Promise.all([
      startRtmpServer({ apps: ['live'], record: true, logger: benchLogger }),
      startRtmpServer({ apps: ['live'], record: true, logger: benchLogger }),
    ]);
  });

  afterAll(async () => {
    await stream?.stop();
    await observed?.out.abort();
    await player?.stop();
    await Promise.all([serverA?.close(), serverB?.close()]);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** Server B goes down for ~5 s and comes back on the same port; B's stream must come back by itself. */
  async function outageOfB(o: Observed, b: StreamUrl): Promise<number> {
    await serverB.stop();
    const stoppedAt = Date.now();
    await sleep(5_000);
    await serverB.restart();
    const restartedAt = Date.now();
    const reconnectMs = await waitFor('B publishing again', 15_000, () =>
      o.publishing(b) ? Date.now() - restartedAt : undefined,
    );
    const afterOutage = o.byUrl(b);
    expect(afterOutage?.status).toBe(StreamInfo_Status.ACTIVE);
    expect(afterOutage?.retries).toBeGreaterThanOrEqual(1);
    expect(Number((afterOutage?.lastRetryAt ?? 0n) / 1_000_000n)).toBeGreaterThanOrEqual(stoppedAt);
    expect(o.updates.some((u) => (u.find((s) => s.url === b.redactedUrl)?.retries ?? 0) >= 1)).toBe(true);
    return reconnectMs;
  }

  /** A was never interrupted: one publish, and the player's copy has no freeze, gap or decode error. */
  async function checkUninterrupted(file: string): Promise<{ gap: number; at: number }> {
    expect(await serverA.recordings(keys.a)).toHaveLength(1);
    expect((await probe(file, { countFrames: false })).durationS ?? 0).toBeGreaterThan(20);
    expect(await freezes(file, { minDurationS: 1.5 })).toEqual([]);
    expect(await decodeErrors(file)).toEqual([]);
    const ptsGap = await maxVideoPtsGap(file);
    expect(ptsGap.gap).toBeLessThan(0.5);
    expect(player?.maxArrivalGapMs).toBeLessThan(1_500);
    return ptsGap;
  }

  /** B recovered: a recording made after the outage decodes cleanly. */
  async function checkRecovered(recordedBefore: number): Promise<void> {
    const files = await serverB.recordings(keys.b);
    expect(files.length).toBeGreaterThan(recordedBefore);
    const last = files.at(-1)!;
    const probed = await probe(last);
    expect([probed.video?.codec, probed.audio?.codec]).toEqual(['h264', 'aac']);
    expect(probed.durationS ?? 0).toBeGreaterThan(10);
    expect(await decodeErrors(last)).toEqual([]);
  }

  /** LiveKit's final checks: every stream with started/ended set, FINISHED ones long enough, the rest FAILED. */
  function checkFinal(final: readonly StreamInfo[], urls: Urls): void {
    const find = (u: StreamUrl) => final.find((s) => s.url === u.redactedUrl);
    expect(final).toHaveLength(7);
    for (const s of final) {
      expect(s.startedAt).toBeGreaterThan(0n);
      expect(s.endedAt).toBeGreaterThanOrEqual(s.startedAt);
      expect(s.duration).toBe(s.endedAt - s.startedAt);
    }
    for (const u of [urls.a, urls.b]) {
      expect(find(u)?.status).toBe(StreamInfo_Status.FINISHED);
      expect(Number(find(u)?.duration ?? 0n) / 1e9).toBeGreaterThan(30);
    }
    expect(find(urls.a)?.retries).toBe(0);
    expect(find(urls.a2)?.status).toBe(StreamInfo_Status.FINISHED);
    expect(Number(find(urls.a2)?.duration ?? 0n) / 1e9).toBeGreaterThan(4);
    for (const u of [urls.badPort, urls.badApp, urls.blocked, urls.badApp2]) {
      expect(find(u)?.status).toBe(StreamInfo_Status.FAILED);
      expect(find(u)?.error).not.toBe('');
    }
  }

  it('publishes to every good URL, fails bad ones fast, reconnects after an outage and follows setUrls', async () => {
    const urls: Urls = {
      a: rtmp(serverA.url('live', keys.a)),
      b: rtmp(serverB.url('live', keys.b)),
      badPort: rtmp(`rtmp://127.0.0.1:${await freePort()}/live/${keys.bad}`),
      badApp: rtmp(serverB.url('nosuchapp', keys.bad)),
      blocked: rtmp(`rtmp://169.254.170.2/app/${keys.bad}`),
      a2: rtmp(serverA.url('live', keys.a2)),
      badApp2: rtmp(serverA.url('refused', `${keys.bad}2`)),
    };
    const first = [urls.a, urls.b, urls.badPort, urls.badApp, urls.blocked];
    const fanout = new TsFanout(logger);
    const o = (observed = new Observed(fanout, logger));
    stream = startEncodedTestStream({ seconds: 40, keyFrameIntervalSec: 2 }, (chunk) => fanout.push(chunk));

    const t0 = Date.now();
    o.out.setUrls(first);
    const failMs = await Promise.all([urls.badPort, urls.badApp, urls.blocked].map((u) => o.failed(u, t0)));
    const startMs = Math.max(await o.started(urls.a, t0), await o.started(urls.b, t0));
    expect(Math.max(...failMs)).toBeLessThan(5_000);
    expect(o.byUrl(urls.blocked)?.error).toContain('not an allowed destination');

    player = startRtmpPlayer(urls.a.url, { seconds: 26, file: join(dir, 'a-player.flv'), logger: benchLogger });
    await sleep(3_000);
    const recordedB = (await serverB.recordings(keys.b)).length;
    const reconnectMs = await outageOfB(o, urls.b);
    const liveProbe = probe(urls.b.url, { countFrames: false });
    liveProbe.catch(() => undefined); // awaited below; this keeps an early rejection from going unhandled

    // UpdateStream: add a good and a bad URL, later remove the good one.
    const t1 = Date.now();
    o.out.setUrls([...first, urls.a2, urls.badApp2]);
    const failMs2 = await o.failed(urls.badApp2, t1);
    await o.started(urls.a2, t1);
    expect(failMs2).toBeLessThan(5_000);
    expect(o.updates.at(-1)?.find((s) => s.url === urls.a2.redactedUrl)?.status).toBe(StreamInfo_Status.ACTIVE);
    await sleep(6_000);
    o.out.setUrls(first);
    expect(o.byUrl(urls.a2)?.status).toBe(StreamInfo_Status.FINISHED);
    expect(o.out.liveCount).toBe(2);

    await stream.done;
    (await o.out.finish())(o.info);
    await Promise.race([player.done, sleep(10_000)]);
    expect(player.exitCode).toBe(0);
    checkFinal(o.info.streamResults, urls);
    expect(o.noneLeft).toEqual([]);
    await checkRecovered(recordedB);
    const live = await liveProbe;
    expect([live.video?.codec, live.video?.width, live.audio?.codec]).toEqual(['h264', 640, 'aac']);
    const ptsGap = await checkUninterrupted(join(dir, 'a-player.flv'));
    const maxArrivalGapMs = player.maxArrivalGapMs;
    console.log(
      'stream outputs figures',
      JSON.stringify({ failMs, failMs2, startMs, reconnectMs, ptsGap, maxArrivalGapMs }),
    );

    // No stream key anywhere: results, updates, log lines (and none reached the logger to be masked).
    const published = JSON.stringify([o.info.streamResults, ...o.updates].flat().map((s) => s.toJson()));
    const logs = lines.join('\n');
    for (const key of Object.values(keys)) {
      expect(published).not.toContain(key);
      expect(logs).not.toContain(key);
    }
    expect(logs).not.toContain('***');
    expect(logs).toContain(urls.b.redactedUrl);
  }, 120_000);

  it('fails the output when its last stream fails, and ends it when the last one is removed', async () => {
    const added: EncodedSink[] = [];
    const removed: EncodedSink[] = [];
    // No media at all: these streams never get past connecting, which is all this case needs.
    const idle: EncodedFanout = { add: (sink) => added.push(sink), remove: (sink) => removed.push(sink) };
    const events: NoStreamsLeft[] = [];
    const make = () =>
      new StreamOutputs({
        fanout: idle,
        protocol: 'rtmp',
        logger,
        onUpdate: () => undefined,
        onNoneLeft: (e) => events.push(e),
      });

    const failing = make();
    failing.setUrls([rtmp(`rtmp://169.254.169.254/live/${keys.bad}`)]);
    await waitFor('the blocked stream to fail', 5_000, () => (events.length > 0 ? true : undefined));
    expect(events[0]?.reason).toBe('failed');
    expect(events[0]?.reason === 'failed' ? events[0].error.message : '').toContain('not an allowed destination');
    expect(failing.liveCount).toBe(0);
    expect(added).toEqual([]);

    const removing = make();
    removing.setUrls([rtmp(`rtmp://127.0.0.1:${await freePort()}/live/${keys.bad}`)]);
    await waitFor('the attempt to join the fan-out', 5_000, () => (added.length > 0 ? true : undefined));
    removing.setUrls([]);
    expect(events.at(-1)).toEqual({ reason: 'removed' });
    expect(removed).toEqual(added);
    const info = new EgressInfo();
    (await removing.finish())(info);
    expect(info.streamResults.map((r) => r.status)).toEqual([StreamInfo_Status.FINISHED]);
  });

  it('publishes over SRT (started at creation, never retried) and fails an SRT URL nobody listens on', async () => {
    const [port, deadPort] = [await freeUdpPort(), await freeUdpPort()];
    const received = join(dir, 'srt-received.ts');
    const listenerArgs = [
      '-hide_banner',
      '-nostats',
      '-loglevel',
      'error',
      '-analyzeduration',
      '1000000',
      '-f',
      'mpegts',
    ];
    listenerArgs.push('-i', `srt://127.0.0.1:${port}?mode=listener`, '-c', 'copy', '-f', 'mpegts', received);
    const listener = new ManagedProcess('ffmpeg', listenerArgs, { name: 'ffmpeg srt listener', logger: benchLogger });
    const srtKey = 'srtKey-0c81f5e2d4';
    const good = validateStreamUrl(`srt://127.0.0.1:${port}?streamid=${srtKey}`, 'srt');
    const dead = validateStreamUrl(`srt://127.0.0.1:${deadPort}?streamid=${srtKey}`, 'srt');
    const fanout = new TsFanout(logger);
    const srt = new StreamOutputs({ fanout, protocol: 'srt', logger, onUpdate: () => undefined });
    try {
      stream = startEncodedTestStream({ seconds: 10, keyFrameIntervalSec: 2 }, (chunk) => fanout.push(chunk));
      const t0 = Date.now();
      srt.setUrls([good, dead]);
      expect(srt.streams.every((s) => s.startedAt > 0n)).toBe(true);
      const deadFailMs = await waitFor('the dead SRT URL to fail', 10_000, () =>
        srt.streams[1]?.status === StreamInfo_Status.FAILED ? Date.now() - t0 : undefined,
      );
      console.log('srt figures', JSON.stringify({ deadFailMs }));
      expect(srt.streams[1]?.error).toContain('failed');
      expect(srt.streams[1]?.retries).toBe(0);
      await stream.done;
      const info = new EgressInfo();
      (await srt.finish())(info);
      expect(info.streamResults.map((r) => r.status)).toEqual([StreamInfo_Status.FINISHED, StreamInfo_Status.FAILED]);
      await Promise.race([listener.exited, sleep(10_000)]);
      const probed = await probe(received);
      expect([probed.video?.codec, probed.audio?.codec]).toEqual(['h264', 'aac']);
      expect(probed.durationS ?? 0).toBeGreaterThan(5);
      expect(JSON.stringify(info.streamResults.map((r) => r.toJson()))).not.toContain(srtKey);
      expect(lines.join('\n')).not.toContain(srtKey);
    } finally {
      await srt.abort();
      await listener.stop('SIGKILL');
    }
  });
});
