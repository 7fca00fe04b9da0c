import type { Logger } from '#shared/logger.ts';
import { SelfCheckError } from './errors.ts';
import { runTool } from '../capture/run-tool.ts';

/** What the recording holds, as ffprobe and ffmpeg's volumedetect/freezedetect measure it. */
export interface RecordingReport {
  readonly durationS: number;
  readonly video: { readonly codec: string; readonly width: number; readonly height: number; readonly frames: number };
  readonly audio: { readonly codec: string; readonly sampleRate: number; readonly channels: number };
  readonly meanVolumeDb: number;
  readonly maxVolumeDb: number;
  /** Stretches of ≥ 0.5 s where the picture did not change. */
  readonly freezes: number;
}

/** Below this peak level the audio counts as silent (the test tone peaks near −10 dB). */
export const SILENT_BELOW_DB = -50;

interface ProbeJson {
  format?: { duration?: string };
  streams?: {
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    nb_read_frames?: string;
    sample_rate?: string;
    channels?: number;
  }[];
}

/**
 * Checks the recording: H.264 video and AAC audio, at least `minDurationS` long, audio not silent, and a
 * picture that keeps changing (the page animates every frame, so a freeze means capture or drawing stalled).
 */
export async function verifyRecording(
  file: string,
  minDurationS: number,
  context: { logger: Logger; signal: AbortSignal },
): Promise<RecordingReport> {
  const run = { logger: context.logger, timeoutMs: 60_000, signal: context.signal };
  const probe = await runTool(
    'ffprobe',
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-count_frames', file],
    run,
  );
  const parsed = parseProbe(probe.stdout);
  const video = parsed.streams?.find((s) => s.codec_type === 'video');
  const audio = parsed.streams?.find((s) => s.codec_type === 'audio');
  const durationS = Number(parsed.format?.duration ?? Number.NaN);
  if (video?.codec_name !== 'h264') throw fail(`no H.264 video stream (found ${video?.codec_name ?? 'none'})`);
  if (audio?.codec_name !== 'aac') throw fail(`no AAC audio stream (found ${audio?.codec_name ?? 'none'})`);
  if (!(durationS >= minDurationS)) throw fail(`it lasts ${durationS} s, less than ${minDurationS} s`);

  const levels = await runTool(
    'ffmpeg',
    ['-nostats', '-i', file, '-map', '0:a:0', '-af', 'volumedetect', '-f', 'null', '-'],
    run,
  );
  const meanVolumeDb = decibels(levels.stderr, 'mean_volume');
  const maxVolumeDb = decibels(levels.stderr, 'max_volume');
  if (maxVolumeDb < SILENT_BELOW_DB) throw fail(`audio is silent (peak ${maxVolumeDb} dB)`);

  const still = await runTool(
    'ffmpeg',
    ['-nostats', '-i', file, '-map', '0:v:0', '-vf', 'freezedetect=n=0.001:d=0.5', '-f', 'null', '-'],
    run,
  );
  const freezes = still.stderr.split('freeze_start').length - 1;
  if (freezes > 0) throw fail(`video froze ${freezes} time(s) although the page animates every frame`);

  return {
    durationS,
    video: {
      codec: video.codec_name,
      width: video.width ?? 0,
      height: video.height ?? 0,
      frames: Number(video.nb_read_frames ?? 0),
    },
    audio: { codec: audio.codec_name, sampleRate: Number(audio.sample_rate ?? 0), channels: audio.channels ?? 0 },
    meanVolumeDb,
    maxVolumeDb,
    freezes,
  };
}

function fail(message: string): SelfCheckError {
  return new SelfCheckError(`recording check failed: ${message}`, 'ffmpeg');
}

function parseProbe(stdout: string): ProbeJson {
  try {
    return JSON.parse(stdout) as ProbeJson;
  } catch (err) {
    throw new SelfCheckError('ffprobe printed no readable JSON', 'ffprobe', { cause: err });
  }
}

function decibels(stderr: string, name: string): number {
  const match = new RegExp(`${name}:\\s*(-?[\\d.]+|-inf) dB`).exec(stderr);
  if (match === null) throw new SelfCheckError(`volumedetect printed no ${name}`, 'ffmpeg');
  return match[1] === '-inf' ? -91 : Number(match[1]);
}
