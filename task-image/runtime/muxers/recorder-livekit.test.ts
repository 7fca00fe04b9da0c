/**
 * The recorder against real parts: tracks published by @livekit/rtc-node (the synthetic publisher: frame
 * counter, flash and beep each second) to the real livekit-server, received by the werift subscriber,
 * recorded to files and checked with ffprobe/ffmpeg.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, truncate, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispose } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { livekitServerBinary, startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { betweenBeeps } from '#bench/pacer.ts';
import { beepTimes, decodeErrors, frameNumbers, probe, volume } from '#bench/media-check.ts';
import { startPublisherProcess, type PublisherHandle } from '#bench/publisher-process.ts';
import type { VideoCodecName } from '#bench/synthetic-publisher.ts';
import { createLogger } from '#shared/logger.ts';
import { LiveKitSubscriber, keyFrameDetector, type SubscribedTrack } from '#task/livekit-subscriber/index.ts';
import { recorderToken } from '#task/sources/recorder-token.ts';
import { FileSink, mediaEndS } from './test-sinks.ts';
import { createTrackRecorder, type RecordingStats } from './track-recorder.ts';

const logger = createLogger({ test: 'recorder-livekit' }, { level: 'warn' });
let server: LiveKitServer;
let dir: string;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A finished recording: its stats, when it went ACTIVE, and the wall-clock time from then to the stop. */
interface Result {
  readonly stats: RecordingStats;
  readonly activeAt: number;
  readonly wallMs: number;
}

/** One track being recorded to a file. */
interface Recording {
  readonly file: string;
  /** Offsets where the chunks handed to the sink ended: the file is whole up to any of them. */
  readonly chunkEnds: number[];
  /** Video frames (distinct RTP timestamps) received from the first key frame until the stop. */
  readonly framesReceived: () => number;
  /** When the first media reached the file (the egress would go ACTIVE). */
  readonly active: Promise<number>;
  /** Finishes the recording now; resolves with its stats and the wall-clock time from ACTIVE to stop. */
  stop(): Promise<Result>;
}

async function startRecording(track: SubscribedTrack, name: string): Promise<Recording> {
  let activeAt: (at: number) => void = () => undefined;
  const active = new Promise<number>((resolve) => (activeAt = resolve));
  const sink = await FileSink.create(join(dir, name));
  const chunkEnds: number[] = [];
  const recorder = createTrackRecorder({
    codec: track.codec,
    sink: {
      write: async (chunk) => {
        await sink.write(chunk);
        chunkEnds.push((chunkEnds.at(-1) ?? 0) + chunk.length);
      },
    },
    logger,
    requestKeyFrame: () => track.requestKeyFrame(),
    onFirstWrite: (at) => activeAt(at),
  });
  const file = join(dir, `${name}${recorder.extension}`);
  const isKeyFrame = keyFrameDetector(track.codec.mimeType);
  const timestamps = new Set<number>();
  let stopped = false;
  track.onRtp((packet) => {
    recorder.pushRtp(packet);
    if (stopped || isKeyFrame === undefined) return;
    if (timestamps.size > 0 || isKeyFrame(packet.payload)) timestamps.add(packet.header.timestamp);
  });
  track.onSenderReport((report) => recorder.pushSenderReport(report));
  return {
    file,
    chunkEnds,
    framesReceived: () => timestamps.size,
    active,
    stop: async () => {
      stopped = true;
      const stoppedAt = Date.now();
      const stats = await recorder.finish();
      await sink.close();
      await copyFile(join(dir, name), file);
      const activeAt = await active;
      return { stats, activeAt, wallMs: stoppedAt - activeAt };
    },
  };
}

/** A publisher in a fresh room and a subscriber to it; both stopped by the returned cleanup. */
async function publish(
  room: string,
  video: VideoCodecName | undefined,
  audio: boolean,
): Promise<{ publisher: PublisherHandle; subscriber: LiveKitSubscriber; close: () => Promise<void> }> {
  const join = { url: server.url, apiKey: server.apiKey, apiSecret: server.apiSecret, room };
  const publisher = await startPublisherProcess({
    ...join,
    identity: 'publisher',
    audio,
    ...(video === undefined ? {} : { video: { codec: video } }),
  });
  const token = await recorderToken(server.apiKey, server.apiSecret, `EG_${room}`, room);
  const subscriber = await LiveKitSubscriber.connect({ url: server.url, token, logger });
  return {
    publisher,
    subscriber,
    close: async () => {
      await subscriber.close();
      await publisher.stop();
    },
  };
}

/** The checks every video recording passes. */
async function expectVideo(
  recording: Recording,
  result: Result,
  codec: { format: string; name: string },
  skippedByPublisher: number,
): Promise<void> {
  const { file } = recording;
  const { stats, wallMs } = result;
  const probed = await probe(file);
  expect(probed.formatName).toContain(codec.format);
  expect(probed.video).toMatchObject({ codec: codec.name, width: 640, height: 360 });
  const endS = await mediaEndS(file);
  const numbers = await frameNumbers(file);
  const errors = await decodeErrors(file);
  console.log(
    `${codec.name}: ACTIVE ${Math.round(result.activeAt - (stats.firstTimestampMs ?? 0))} ms after the first frame, wall ${wallMs} ms, file ${Math.round(endS * 1000)} ms, recorder ${Math.round(stats.durationMs)} ms;`,
    `frames ${stats.frames} of ${recording.framesReceived()} received, numbers ${numbers.first}…${numbers.last}, missing ${numbers.missing},`,
    `repeats ${numbers.repeats}, publisher skipped ${skippedByPublisher}, bytes ${stats.bytes}`,
  );
  expect(errors).toEqual([]);
  expectDated(result);
  expect(Math.abs(endS * 1000 - wallMs)).toBeLessThanOrEqual(500);
  expect(Math.abs(stats.durationMs - wallMs)).toBeLessThanOrEqual(500);
  // Every frame received from the first key frame on is in the file (the last may have been cut by the
  // stop), and every one decodes.
  expect(stats).toMatchObject({ gaps: 0, droppedAfterLoss: 0 });
  expect(stats.frames).toBeGreaterThanOrEqual(recording.framesReceived() - 1);
  expect(stats.frames).toBeLessThanOrEqual(recording.framesReceived());
  expect(probed.video?.framesCounted).toBe(stats.frames);
  // The counter advances: never backwards, never repeated. Since the recorder lost no frame, any number
  // it skips is a frame the publisher dropped (its pacer's skips; its encoder's under this machine's load).
  expect(numbers.repeats).toBe(0);
  expect(numbers.jumps.filter((jump) => jump.to < jump.from)).toEqual([]);
  expect(numbers.undecodable).toBeLessThanOrEqual(Math.ceil(stats.frames / 100));
  expect(numbers.missing).toBeLessThanOrEqual(skippedByPublisher + Math.ceil(stats.frames / 20));
}

/** The checks every audio recording passes; returns the beep onsets. */
async function expectAudio(recording: Recording, result: Result): Promise<number[]> {
  const { file } = recording;
  const { stats, wallMs } = result;
  const probed = await probe(file);
  expect(probed.formatName).toBe('ogg');
  expect(probed.audio).toMatchObject({ codec: 'opus', sampleRate: 48_000 });
  const endS = await mediaEndS(file);
  const beeps = await beepTimes(file);
  console.log(
    `opus: ACTIVE ${Math.round(result.activeAt - (stats.firstTimestampMs ?? 0))} ms after the first frame, wall ${wallMs} ms, file ${Math.round(endS * 1000)} ms, recorder ${Math.round(stats.durationMs)} ms,`,
    `gaps ${stats.gaps}, beeps at ${beeps.map((b) => b.toFixed(2)).join(' ')}`,
  );
  expect(await decodeErrors(file)).toEqual([]);
  expectDated(result);
  expect(Math.abs(endS * 1000 - wallMs)).toBeLessThanOrEqual(500);
  expect(Math.abs(stats.durationMs - wallMs)).toBeLessThanOrEqual(500);
  expect((await volume(file)).silent).toBe(false);
  return beeps;
}

/** Time zero of the file, dated by the sender reports, is the first frame: shortly before ACTIVE. */
function expectDated(result: Result): void {
  expect(result.stats.firstTimestampMs).toBeGreaterThan(result.activeAt - 1_000);
  expect(result.stats.firstTimestampMs).toBeLessThanOrEqual(result.activeAt);
}

/** Consecutive differences. */
const steps = (values: readonly number[]): number[] => values.slice(1).map((v, i) => v - (values[i] ?? 0));

describe.skipIf(!existsSync(livekitServerBinary()))('recording real LiveKit tracks', () => {
  beforeAll(async () => {
    server = await startLiveKitServer({ logger });
    dir = await mkdtemp(join(tmpdir(), 'ue-recorder-'));
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
    await dispose();
  });

  const recordSeconds = 10;

  test.concurrent(
    'Opus → Ogg and VP8 → WebM, 10 s: copied, wall-clock long, every frame and beep in place',
    async () => {
      const { publisher, subscriber, close } = await publish('opus-vp8', 'vp8', true);
      try {
        const audio = await startRecording(await subscriber.subscribe(publisher.audioTrackSid!), 'opus');
        const video = await startRecording(await subscriber.subscribe(publisher.videoTrackSid!), 'vp8');
        await Promise.all([audio.active, video.active]);
        const skipped = publisher.stats().video?.skipped ?? 0;
        await sleep(recordSeconds * 1000);
        const [audioResult, videoResult] = [await audio.stop(), await video.stop()];
        const skippedDuring = (publisher.stats().video?.skipped ?? 0) - skipped;
        const beeps = await expectAudio(audio, audioResult);
        expect(beeps.length).toBeGreaterThanOrEqual(recordSeconds - 1);
        for (const step of steps(beeps)) expect(step).toBeCloseTo(1, 1);
        await expectVideo(video, videoResult, { format: 'webm', name: 'vp8' }, skippedDuring);
        await expectTruncatedPlays(video, 'vp8');
        await expectTruncatedPlays(audio, 'opus');
      } finally {
        await close();
      }
    },
  );

  test.concurrent.each([
    { codec: 'vp9' as const, format: 'webm' },
    { codec: 'h264' as const, format: 'mp4' },
  ])('$codec → $format, 10 s: copied, wall-clock long, every frame in place', async ({ codec, format }) => {
    const { publisher, subscriber, close } = await publish(codec, codec, false);
    try {
      const video = await startRecording(await subscriber.subscribe(publisher.videoTrackSid!), codec);
      await video.active;
      const skipped = publisher.stats().video?.skipped ?? 0;
      await sleep(recordSeconds * 1000);
      const result = await video.stop();
      const skippedDuring = (publisher.stats().video?.skipped ?? 0) - skipped;
      await expectVideo(video, result, { format, name: codec }, skippedDuring);
    } finally {
      await close();
    }
  });

  test.concurrent('a 10 s mute in the middle of Opus: the file still lasts as long as the wall clock', async () => {
    const { publisher, subscriber, close } = await publish('mute', undefined, true);
    try {
      const audio = await startRecording(await subscriber.subscribe(publisher.audioTrackSid!), 'muted-opus');
      await audio.active;
      const skippedMs = (): number => (publisher.stats().audio?.skips ?? []).reduce((t, k) => t + k.contentMs, 0);
      const skippedBefore = skippedMs();
      await sleep(4_000);
      await betweenBeeps(publisher.startedAt);
      await publisher.mute('audio');
      await sleep(10_000);
      await betweenBeeps(publisher.startedAt);
      await publisher.unmute('audio');
      await sleep(4_000);
      const result = await audio.stop();
      // Sound the publisher skipped while starved of CPU was never sent: every later beep comes that much
      // earlier on the RTP clock (one CI run: a step of 10.89 s across the mute). Only that is allowed for.
      const skippedS = (skippedMs() - skippedBefore) / 1000;
      console.log(`opus with a mute: the publisher skipped ${skippedS.toFixed(3)} s of sound while recording`);
      const beeps = await expectAudio(audio, result);
      expect(result.stats.gaps).toBeGreaterThanOrEqual(1);
      // Beeps sit on whole seconds of the publisher's clock: across the mute too, if the pause was kept.
      const pause = steps(beeps).filter((step) => step > 1.5);
      expect(pause).toHaveLength(1);
      for (const step of steps(beeps)) expect(Math.abs(step - Math.round(step))).toBeLessThan(0.06 + skippedS);
      expect(pause[0]).toBeGreaterThan(9.5);
    } finally {
      await close();
    }
  });
});

/**
 * A copy of the file cut at a byte in its last third (as a process killed mid-write leaves it) still probes
 * and decodes at least what the chunks before the cut hold.
 */
async function expectTruncatedPlays(recording: Recording, codec: 'vp8' | 'opus'): Promise<void> {
  const { file, chunkEnds } = recording;
  const { size } = await stat(file);
  const at = Math.round(size * 0.77) + 13;
  const whole = Math.max(...chunkEnds.filter((end) => end <= at));
  const [cut, clean] = [`${file}.cut`, `${file}.clean`];
  for (const [path, length] of [
    [cut, at],
    [clean, whole],
  ] as const) {
    await copyFile(file, path);
    await truncate(path, length);
  }
  const frames = async (path: string): Promise<number> => {
    const probed = await probe(path);
    return (codec === 'opus' ? probed.audio : probed.video)?.framesCounted ?? 0;
  };
  const [cutFrames, cleanFrames] = [await frames(cut), await frames(clean)];
  console.log(`${codec}: cut at ${at} of ${size} bytes: ${cutFrames} frames decode (${cleanFrames} in whole chunks)`);
  expect(cleanFrames).toBeGreaterThan(0);
  expect(cutFrames).toBeGreaterThanOrEqual(cleanFrames);
  expect(await decodeErrors(clean)).toEqual([]);
}
