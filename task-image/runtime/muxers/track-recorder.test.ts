/**
 * The recorder with hand-made RTP packets carrying real encoded media (clips from ffmpeg), checked with
 * ffprobe/ffmpeg: sequence and timestamp wraparound, reordering, loss, the key-frame start, sink failures.
 */
import { copyFile, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeErrors, probe } from '#bench/media-check.ts';
import { createLogger } from '#shared/logger.ts';
import { SinkBacklogError, SinkWriteError, UnsupportedCodecError } from './errors.ts';
import { encodeClip, type ClipCodec, type ClipFrame } from './test-clips.ts';
import { RtpStamper, h264Payloads, vp8Payloads, vp9Payloads } from './test-packets.ts';
import { MemorySink, mediaEndS } from './test-sinks.ts';
import { createTrackRecorder, type RecordingStats, type RtpInput } from './track-recorder.ts';

const logger = createLogger({ test: 'track-recorder' }, { level: 'warn' });
let dir: string;
const clips = new Map<ClipCodec, ClipFrame[]>();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ue-muxers-'));
  // 3 s clips, a key frame every 15 frames (0.5 s); Opus in 20 ms packets.
  for (const codec of ['vp8', 'vp9', 'h264', 'opus'] as const) clips.set(codec, await encodeClip(codec, 3));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const codecs = {
  vp8: { mimeType: 'video/VP8', clockRate: 90_000, payloadType: 96 },
  vp9: { mimeType: 'video/VP9', clockRate: 90_000, payloadType: 98 },
  h264: { mimeType: 'video/H264', clockRate: 90_000, payloadType: 108 },
  opus: { mimeType: 'audio/opus', clockRate: 48_000, channels: 2, payloadType: 111 },
} as const;

/** A packet as it arrives: at `at` ms on a fake clock. */
interface Arrival {
  readonly packet: RtpInput;
  readonly at: number;
}

/** The clip's frames as RTP packets, sequence numbers from 65 500 and timestamps from 2^32 − 40 000 (both wrap). */
function packetize(codec: ClipCodec, frames: readonly ClipFrame[]): Arrival[][] {
  const stamper = new RtpStamper(65_500, codecs[codec].payloadType);
  const tick = codec === 'opus' ? 960 : 3000;
  const msPerFrame = codec === 'opus' ? 20 : 1000 / 30;
  return frames.map((frame, n) => {
    const payloads =
      codec === 'vp8'
        ? vp8Payloads(frame.data, n)
        : codec === 'vp9'
          ? vp9Payloads(frame.data, n, frame.keyFrame)
          : codec === 'h264'
            ? h264Payloads((frame as ClipFrame & { units: Uint8Array[] }).units)
            : [frame.data];
    const packets = stamper.frame(payloads, 2 ** 32 - 40_000 + n * tick);
    return packets.map((packet, i) => ({ packet, at: 1_000 + n * msPerFrame + i * 0.1 }));
  });
}

/** Swaps every 7th packet with the next one (what a network does to a few packets). */
function reorder(packets: Arrival[]): Arrival[] {
  const out = [...packets];
  for (let i = 0; i + 1 < out.length; i += 7) [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
  return out;
}

interface Recorded {
  readonly stats: RecordingStats;
  readonly file: string;
  readonly sink: MemorySink;
  readonly keyFrameRequests: number;
}

async function record(
  codec: ClipCodec,
  packets: readonly Arrival[],
  name: string,
  fragmentMs?: number,
): Promise<Recorded> {
  const sink = new MemorySink();
  let now = 0;
  let keyFrameRequests = 0;
  const recorder = createTrackRecorder({
    codec: codecs[codec],
    sink,
    logger,
    requestKeyFrame: () => keyFrameRequests++,
    now: () => now,
    fragmentMs,
  });
  for (const { packet, at } of packets) {
    now = at;
    recorder.pushRtp(packet);
  }
  const stats = await recorder.finish();
  const file = join(dir, `${name}${recorder.extension}`);
  await sink.save(file);
  return { stats, file, sink, keyFrameRequests };
}

const expected = {
  vp8: { format: 'webm', codec: 'vp8' },
  vp9: { format: 'webm', codec: 'vp9' },
  h264: { format: 'mp4', codec: 'h264' },
  opus: { format: 'ogg', codec: 'opus' },
} as const;

/** A copy of `file` with the recording's header patch written in place. */
async function patched(file: string, stats: RecordingStats): Promise<string> {
  const copy = `${file}.patched${file.slice(file.lastIndexOf('.'))}`;
  await copyFile(file, copy);
  const handle = await open(copy, 'r+');
  try {
    const patch = stats.headerPatch!;
    await handle.write(patch.bytes, 0, patch.bytes.length, patch.offset);
  } finally {
    await handle.close();
  }
  return copy;
}

/**
 * For MP4, moves a cut that falls inside a fragment's `moof` to the start of its `mdat` payload: ffmpeg reads
 * every `moof` of a seekable file while opening it and gives up on the whole file when the last one is cut
 * short. A `moof` is under 1 % of a fragment's bytes, and a sink that writes (or uploads) whole chunks
 * never cuts one; a cut in the media data, the likely case, is what this test covers.
 */
function mp4SafeCut(codec: ClipCodec, chunks: readonly Uint8Array[], starts: readonly number[], cut: number): number {
  if (codec !== 'h264') return cut;
  const index = starts.findLastIndex((start) => start <= cut);
  const chunk = chunks[index];
  if (chunk === undefined || String.fromCharCode(...chunk.subarray(4, 8)) !== 'moof') return cut;
  const moofSize = new DataView(chunk.buffer, chunk.byteOffset).getUint32(0);
  return Math.max(cut, starts[index]! + moofSize + 8);
}

describe('createTrackRecorder with hand-made packets of real media', () => {
  test.each(['vp8', 'vp9', 'h264', 'opus'] as const)(
    '%s: every frame decodes, in order, across sequence/timestamp wraparound and reordering',
    async (codec) => {
      const frames = clips.get(codec)!;
      const { stats, file } = await record(codec, reorder(packetize(codec, frames).flat()), `whole-${codec}`);
      const probed = await probe(file);
      const stream = codec === 'opus' ? probed.audio : probed.video;
      expect(probed.formatName).toContain(expected[codec].format);
      expect(stream?.codec).toBe(expected[codec].codec);
      expect(stream?.framesCounted).toBe(frames.length);
      expect(await decodeErrors(file)).toEqual([]);
      expect(await mediaEndS(file)).toBeCloseTo(3.0, 1);
      expect(stats).toMatchObject({ frames: frames.length, gaps: 0, lostPackets: 0, droppedBeforeKeyFrame: 0 });
      expect(stats.durationMs).toBeGreaterThan(2_950);
      expect(stats.durationMs).toBeLessThan(3_050);
      if (codec === 'opus') expect(stats.headerPatch).toBeUndefined();
      else {
        // The optional header patch gives WebM a duration (ffprobe: N/A without) and MP4 its mehd.
        expect((await probe(await patched(file, stats))).durationS).toBeCloseTo(stats.durationMs / 1000, 2);
        expect(await decodeErrors(await patched(file, stats))).toEqual([]);
      }
    },
  );

  test.each(['vp8', 'h264'] as const)(
    '%s: a lost packet asks for a key frame, drops frames until one, and keeps the time',
    async (codec) => {
      const frames = clips.get(codec)!;
      const packets = packetize(codec, frames);
      packets[20]!.splice(0, 1); // the first packet of frame 20 (a delta frame; key frames at 0, 15, 30…)
      const { stats, file, keyFrameRequests } = await record(codec, packets.flat(), `loss-${codec}`);
      expect(keyFrameRequests).toBe(2); // at the start, and after the loss
      expect(stats).toMatchObject({ lostPackets: 1, gaps: 1, droppedAfterLoss: 9, frames: frames.length - 10 });
      const probed = await probe(file);
      expect(probed.video?.framesCounted).toBe(frames.length - 10);
      expect(await decodeErrors(file)).toEqual([]);
      expect(await mediaEndS(file)).toBeCloseTo(3.0, 1);
    },
  );

  test('starts at the first key frame: earlier frames are dropped and the file begins at 0', async () => {
    const frames = clips.get('vp8')!;
    const { stats, file, keyFrameRequests } = await record('vp8', packetize('vp8', frames).slice(5).flat(), 'late-vp8');
    expect(stats.droppedBeforeKeyFrame).toBe(10);
    expect(stats.frames).toBe(frames.length - 15);
    expect(keyFrameRequests).toBeGreaterThanOrEqual(1);
    expect(await decodeErrors(file)).toEqual([]);
    expect(await mediaEndS(file)).toBeCloseTo(2.5, 1);
  });

  test('lost Opus packets leave silence of the same length: the duration still matches', async () => {
    const clip = clips.get('opus')!;
    const packets = packetize('opus', clip);
    packets.splice(50, 10); // 200 ms lost at 1 s
    const { stats, file } = await record('opus', packets.flat(), 'loss-opus');
    // Ten 20 ms packets of silence (3 bytes each) take the place of the lost ones.
    expect(stats).toMatchObject({ gaps: 1, lostPackets: 10, frames: clip.length });
    expect(await decodeErrors(file)).toEqual([]);
    expect(await mediaEndS(file)).toBeCloseTo(3.0, 1);
  });

  test.each([
    { container: 'ogg', codec: 'opus' },
    { container: 'webm', codec: 'vp8' },
    { container: 'mp4', codec: 'h264' },
  ] as const)('a $container cut at any byte still probes and decodes its complete parts', async ({ codec }) => {
    const { sink } = await record(codec, packetize(codec, clips.get(codec)!).flat(), `cut-${codec}`, 500);
    const starts: number[] = [0];
    for (const chunk of sink.chunks) starts.push(starts.at(-1)! + chunk.length);
    const total = starts.at(-1)!;
    for (const fraction of [0.37, 0.61, 0.93]) {
      const cut = mp4SafeCut(codec, sink.chunks, starts, Math.round(total * fraction));
      const whole = Math.max(...starts.filter((start) => start <= cut));
      const [truncated, clean] = [join(dir, `cut-${codec}-${fraction}`), join(dir, `clean-${codec}-${fraction}`)];
      await sink.save(truncated, cut);
      await sink.save(clean, whole);
      const [t, c] = [await probe(truncated), await probe(clean)];
      const frames = (p: typeof t): number => (codec === 'opus' ? p.audio : p.video)?.framesCounted ?? 0;
      expect(t.formatName).toContain(expected[codec].format);
      expect(frames(c)).toBeGreaterThan(0);
      expect(frames(t)).toBeGreaterThanOrEqual(frames(c));
      expect(await decodeErrors(clean)).toEqual([]);
    }
  });

  test.each([
    { late: true, endS: 1.5 },
    { late: false, endS: 1.2 },
  ])(
    'a cut at the stop time waits for the Opus of that time from a sender behind its clock (media comes: $late)',
    async ({ late, endS }) => {
      // The first packet arrives at 1 s: the file's zero, although the reorder buffer lets it go 60 ms later.
      // The sender skipped 300 ms of sound at 0.5 s (a stall): its RTP clock runs 300 ms behind the wall clock
      // from then on, so the sound of the stop time (1.5 s after the first packet) arrives 300 ms after it.
      const arrivals = packetize('opus', clips.get('opus')!)
        .flat()
        .map(({ packet, at }) => ({ packet, at: at >= 1_500 ? at + 300 : at }));
      const sink = new MemorySink();
      let now = 0;
      const recorder = createTrackRecorder({
        codec: codecs.opus,
        sink,
        logger,
        requestKeyFrame: () => undefined,
        now: () => now,
        stopHoldMs: 1_000,
        cutWaitMs: 500,
      });
      const push = (until: number): void => {
        for (const a of arrivals.filter((x) => x.at > now && x.at <= until)) {
          now = a.at;
          recorder.pushRtp(a.packet);
        }
        now = until;
      };
      push(2_500); // the stop is asked for at 2.5 s (1.5 s of wall clock after the first packet)
      const finished = recorder.finish({ cutAtMs: 2_500 });
      if (late) {
        await new Promise((r) => setTimeout(r, 100));
        push(3_000); // the task takes the packets that come meanwhile
      }
      await finished;
      const file = join(dir, `stop-behind-${late}.ogg`);
      await sink.save(file);
      expect(await decodeErrors(file)).toEqual([]);
      // Media came: the file is as long as the wall clock up to the stop. None: it ends with what had come.
      expect(await mediaEndS(file)).toBeCloseTo(endS, 1);
    },
  );

  test('onFirstWrite fires once, when media (not only headers) has reached the sink', async () => {
    const sink = new MemorySink();
    const seen: number[] = [];
    const recorder = createTrackRecorder({
      codec: codecs.h264,
      sink,
      logger,
      requestKeyFrame: () => undefined,
      onFirstWrite: () => seen.push(sink.chunks.length),
    });
    for (const { packet } of packetize('h264', clips.get('h264')!).flat()) recorder.pushRtp(packet);
    await recorder.finish();
    expect(seen).toEqual([2]); // ftyp+moov, then the first moof+mdat
  });

  test.each(['audio/red', 'audio/PCMU', 'video/AV1'])(
    'rejects %s: it cannot be written without transcoding',
    (mimeType) => {
      const create = (): unknown =>
        createTrackRecorder({
          codec: { mimeType, clockRate: 48_000, payloadType: 63 },
          sink: new MemorySink(),
          logger,
          requestKeyFrame: () => undefined,
        });
      expect(create).toThrow(UnsupportedCodecError);
      expect(create).toThrow(`${mimeType} is not yet supported`);
    },
  );

  test('fails the recording when the sink fails: onError once, finish rejects with the destination at fault', async () => {
    const errors: unknown[] = [];
    const recorder = createTrackRecorder({
      codec: codecs.opus,
      sink: new MemorySink(2),
      logger,
      requestKeyFrame: () => undefined,
      onError: (err) => errors.push(err),
    });
    for (const { packet } of packetize('opus', clips.get('opus')!).flat()) recorder.pushRtp(packet);
    const failure = await recorder.finish().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(SinkWriteError);
    expect(failure).toMatchObject({ fault: 'destination', reason: 'sink-failed' });
    expect(errors).toEqual([failure]);
  });

  test('fails when the sink falls too far behind, without waiting for it', async () => {
    const recorder = createTrackRecorder({
      codec: codecs.vp8,
      sink: { write: () => new Promise<void>(() => undefined) }, // a sink that hangs
      logger,
      requestKeyFrame: () => undefined,
      maxPendingBytes: 50_000,
    });
    for (const { packet } of packetize('vp8', clips.get('vp8')!).flat()) recorder.pushRtp(packet);
    await expect(recorder.finish()).rejects.toBeInstanceOf(SinkBacklogError);
  });
});
