/**
 * Checks over media files with the real ffmpeg/ffprobe: what LiveKit's own integration tests check
 * (codec, size, duration, fps, not silent, no freezes, no decode errors) plus frame numbers, beep/flash
 * onsets, A/V sync and frame cadence from the synthetic participant's content.
 */
import { decodeAudio, pcmAudio, pcmSamples, type PcmInput } from './audio-decode.ts';
import { MediaCheckError } from './bench-errors.ts';
import { SILENT_BELOW_DB, beepOnsets, flashOnsets, pairOnsets, pcmLoudness, percentile } from './signal-analysis.ts';
import type { Loudness, OnsetPair } from './signal-analysis.ts';
import { SAMPLE_RATE } from './sync-schedule.ts';
import { runTool } from './tool-run.ts';
import { scanVideo, type ScannedFrame, type VideoScanOptions } from './video-scan.ts';

export { decodeAudio, type DecodedAudio, type PcmInput } from './audio-decode.ts';
export { frameNumbers, cadence, type FrameNumberReport, type CadenceReport } from './frame-timing.ts';
export type { Loudness, OnsetPair } from './signal-analysis.ts';
export type { Region, ScannedFrame, VideoScanOptions } from './video-scan.ts';

/** A media file path, or raw PCM. */
export type AudioInput = string | PcmInput;

/** One stream as ffprobe reports it. */
export interface StreamInfo {
  readonly index: number;
  readonly type: string;
  readonly codec: string;
  readonly profile: string | undefined;
  readonly width: number | undefined;
  readonly height: number | undefined;
  /** avg_frame_rate as a number (undefined for 0/0). */
  readonly avgFps: number | undefined;
  readonly sampleRate: number | undefined;
  readonly channels: number | undefined;
  /** The container's frame count, where it has one. */
  readonly nbFrames: number | undefined;
  /** Frames actually decoded (`-count_frames`). */
  readonly framesCounted: number | undefined;
}

/** What ffprobe says about a file. */
export interface ProbeResult {
  readonly formatName: string;
  readonly durationS: number | undefined;
  readonly streams: readonly StreamInfo[];
  readonly video: StreamInfo | undefined;
  readonly audio: StreamInfo | undefined;
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

const num = (value: unknown): number | undefined => {
  const n = typeof value === 'string' || typeof value === 'number' ? Number(value) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
};

function rate(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const [n, d] = value.split('/').map(Number);
  return n === undefined || d === undefined || !(d > 0) ? undefined : n / d;
}

/** Format and streams of `file`; with `countFrames` (default) every stream is decoded to count frames. */
export async function probe(file: string, options: { countFrames?: boolean } = {}): Promise<ProbeResult> {
  const chunks: Buffer[] = [];
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams'];
  if (options.countFrames ?? true) args.push('-count_frames');
  await runTool('ffprobe', [...args, file], { onStdout: (c) => chunks.push(c) });
  let parsed: { format?: Record<string, unknown>; streams?: Record<string, unknown>[] };
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof parsed;
  } catch (err) {
    throw new MediaCheckError('ffprobe', `unreadable JSON for ${file}`, { cause: err });
  }
  const streams = (parsed.streams ?? []).map((s): StreamInfo => ({
    index: num(s['index']) ?? -1,
    type: str(s['codec_type']),
    codec: str(s['codec_name']),
    profile: typeof s['profile'] === 'string' ? s['profile'] : undefined,
    width: num(s['width']),
    height: num(s['height']),
    avgFps: rate(s['avg_frame_rate']),
    sampleRate: num(s['sample_rate']),
    channels: num(s['channels']),
    nbFrames: num(s['nb_frames']),
    framesCounted: num(s['nb_read_frames']),
  }));
  return {
    formatName: str(parsed.format?.['format_name']),
    durationS: num(parsed.format?.['duration']),
    streams,
    video: streams.find((s) => s.type === 'video'),
    audio: streams.find((s) => s.type === 'audio'),
  };
}

/** Mean and peak level of the first audio stream (ffmpeg volumedetect), or of raw PCM. */
export async function volume(input: AudioInput): Promise<Loudness> {
  if (typeof input !== 'string') return pcmLoudness(await pcmSamples(input));
  const args = ['-nostats', '-i', input, '-map', '0:a:0', '-af', 'volumedetect', '-f', 'null', '-'];
  const { stderr } = await runTool('ffmpeg', args);
  const read = (name: string): number => {
    const match = new RegExp(`${name}:\\s*(-?[\\d.]+|-inf) dB`).exec(stderr.join('\n'));
    if (match === null) throw new MediaCheckError('ffmpeg', `volumedetect printed no ${name} for ${input}`);
    return match[1] === '-inf' ? -91 : Number(match[1]);
  };
  const maxDb = read('max_volume');
  return { meanDb: read('mean_volume'), maxDb, silent: maxDb < SILENT_BELOW_DB };
}

/** A frozen stretch of video (freezedetect); `end` is missing when the file ends frozen. */
export interface Freeze {
  readonly start: number;
  readonly end: number | undefined;
}

/** Frozen stretches of at least `minDurationS` (default 0.5 s) at noise tolerance `noise` (default 0.001). */
export async function freezes(
  file: string,
  options: { noise?: number; minDurationS?: number } = {},
): Promise<Freeze[]> {
  const filter = `freezedetect=n=${options.noise ?? 0.001}:d=${options.minDurationS ?? 0.5}`;
  const { stderr } = await runTool(
    'ffmpeg',
    ['-nostats', '-i', file, '-map', '0:v:0', '-vf', filter, '-f', 'null', '-'],
    {
      keepStderr: (line) => line.includes('lavfi.freezedetect.freeze_'),
    },
  );
  const found: { start: number; end: number | undefined }[] = [];
  for (const line of stderr) {
    const start = /freeze_start:\s*([\d.]+)/.exec(line);
    const end = /freeze_end:\s*([\d.]+)/.exec(line);
    if (start !== null) found.push({ start: Number(start[1]), end: undefined });
    const last = found.at(-1);
    if (end !== null && last !== undefined) last.end = Number(end[1]);
  }
  return found;
}

/**
 * Every error line ffmpeg prints while decoding all of `file` (empty = decodes cleanly). The frames keep
 * their own timestamps on the way to the null muxer (`-fps_mode passthrough -enc_time_base -1`): with the
 * defaults, two frames a millisecond apart (a publisher's capture burst, recorded as sent) round to one
 * tick of the guessed frame rate and ffmpeg's muxer reports "non monotonically increasing dts" — about
 * its own output, not about the file.
 */
export async function decodeErrors(file: string): Promise<string[]> {
  const args = ['-v', 'error', '-i', file, '-fps_mode', 'passthrough', '-enc_time_base', '-1', '-f', 'null', '-'];
  const { exit, stderr } = await runTool('ffmpeg', args, {
    allowFailure: true,
    timeoutMs: 300_000,
  });
  const lines = [...stderr];
  if (exit.code !== 0 && lines.length === 0) lines.push(`ffmpeg exited with ${String(exit.code ?? exit.signal)}`);
  return lines;
}

/** Onset times (s) of the beeps in a file's first audio stream or in raw PCM. */
export async function beepTimes(input: AudioInput): Promise<number[]> {
  const audio = typeof input === 'string' ? await decodeAudio(input) : await pcmAudio(input);
  return beepOnsets(audio.samples, SAMPLE_RATE, { observedFromS: audio.startS });
}

/** Onset times (s) of the white flashes in a file's first video stream. */
export async function flashTimes(file: string, options: VideoScanOptions = {}): Promise<number[]> {
  return flashOnsets(await scanVideo(file, options));
}

/** Beep–flash pairs and their offsets; positive = audio late. Percentiles are NaN when nothing paired. */
export interface AvSyncReport {
  readonly pairs: readonly OnsetPair[];
  readonly flashes: number;
  readonly beeps: number;
  /** Median signed offset, ms. */
  readonly p50Ms: number;
  /** 95th percentile of the absolute offset, ms. */
  readonly p95AbsMs: number;
  readonly maxAbsMs: number;
}

/** Pairs each flash with the nearest beep (within 0.4 s) and reports the A/V offsets. */
export async function avSync(file: string, options: VideoScanOptions = {}): Promise<AvSyncReport> {
  const [frames, audio] = await Promise.all([scanVideo(file, options), decodeAudio(file)]);
  return syncReport(frames, beepOnsets(audio.samples, SAMPLE_RATE, { observedFromS: audio.startS }));
}

/** The A/V report from already-scanned frames and beep onsets. */
export function syncReport(frames: readonly ScannedFrame[], beeps: readonly number[]): AvSyncReport {
  const flashes = flashOnsets(frames);
  const pairs = pairOnsets(flashes, beeps);
  const abs = pairs.map((p) => Math.abs(p.offsetMs));
  return {
    pairs,
    flashes: flashes.length,
    beeps: beeps.length,
    p50Ms: percentile(
      pairs.map((p) => p.offsetMs),
      50,
    ),
    p95AbsMs: percentile(abs, 95),
    maxAbsMs: abs.length === 0 ? Number.NaN : Math.max(...abs),
  };
}

/**
 * Length of a file's media in seconds: the container's duration when it records one, else the span of its
 * packets (first pts to last pts + duration) — live WebM, written without seeking back, has no Duration.
 */
export async function mediaDuration(file: string): Promise<number> {
  const info = await probe(file);
  if (info.durationS !== undefined) return info.durationS;
  const chunks: Buffer[] = [];
  await runTool('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time,duration_time', '-of', 'csv=p=0', file], {
    onStdout: (c) => chunks.push(c),
  });
  let first = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
    const [pts, duration] = line.split(',').map(Number);
    if (pts === undefined || !Number.isFinite(pts)) continue;
    first = Math.min(first, pts);
    end = Math.max(end, pts + (duration !== undefined && Number.isFinite(duration) ? duration : 0));
  }
  if (!Number.isFinite(first)) throw new MediaCheckError('ffprobe', `no packets in ${file}`);
  return end - first;
}

/** The longest stretch (s) between consecutive packets of a file's first stream of `kind`, in pts order. */
export async function largestPacketGap(file: string, kind: 'audio' | 'video'): Promise<number> {
  const chunks: Buffer[] = [];
  const select = kind === 'audio' ? 'a:0' : 'v:0';
  await runTool(
    'ffprobe',
    ['-v', 'error', '-select_streams', select, '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file],
    {
      onStdout: (c) => chunks.push(c),
    },
  );
  const times = Buffer.concat(chunks)
    .toString('utf8')
    .split('\n')
    .map(Number)
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => a - b);
  if (times.length < 2) throw new MediaCheckError('ffprobe', `fewer than two ${kind} packets in ${file}`);
  let gap = 0;
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
  return gap;
}
