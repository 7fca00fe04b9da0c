import { readFile } from 'node:fs/promises';
import { downmix } from './signal-analysis.ts';
import { SAMPLE_RATE } from './sync-schedule.ts';
import { runTool } from './tool-run.ts';

/** Raw PCM, s16le at 48 kHz (what the WebSocket track egress sends): a buffer or a file. */
export interface PcmInput {
  readonly pcm: Uint8Array | string;
  /** Interleaved channels. @default 2 */
  readonly channels?: number;
}

/** Mono 48 kHz audio on a file's timeline. */
export interface DecodedAudio {
  /** Sample i is at i/48000 s of the file timeline (silence before the stream starts). */
  readonly samples: Int16Array;
  /** Where the audio stream really starts, s: onsets before it would be artefacts of the padding. */
  readonly startS: number;
}

/** The interleaved samples of raw PCM, as they are. */
export async function pcmSamples(input: PcmInput): Promise<Int16Array> {
  const bytes = typeof input.pcm === 'string' ? await readFile(input.pcm) : input.pcm;
  // Copy into an aligned buffer: a Node Buffer may start at an odd offset of its pool.
  const aligned = new Uint8Array(bytes.length - (bytes.length % 2));
  aligned.set(bytes.subarray(0, aligned.length));
  return new Int16Array(aligned.buffer);
}

/** Raw PCM as mono audio starting at 0 s. */
export async function pcmAudio(input: PcmInput): Promise<DecodedAudio> {
  return { samples: downmix(await pcmSamples(input), input.channels ?? 2), startS: 0 };
}

const PTS_TIME = /pts_time:\s*(-?[\d.]+)/;

/**
 * The first audio stream of `file` as mono 48 kHz s16, padded with silence from file time 0
 * (`aresample first_pts=0`), so sample i is at i/48000 s on the same timeline as the video's pts;
 * `ashowinfo` before the padding reports where the stream itself starts.
 */
export async function decodeAudio(file: string): Promise<DecodedAudio> {
  const chunks: Buffer[] = [];
  let firstFrame: string | undefined;
  const filter = 'ashowinfo,aresample=async=1:first_pts=0';
  await runTool(
    'ffmpeg',
    [
      '-nostats',
      '-i',
      file,
      '-map',
      '0:a:0',
      '-af',
      filter,
      '-ac',
      '1',
      '-ar',
      String(SAMPLE_RATE),
      '-f',
      's16le',
      'pipe:1',
    ],
    {
      onStdout: (c) => chunks.push(c),
      // Only the first frame's line matters; keeping one line bounds memory on long files.
      keepStderr: (line) => {
        if (firstFrame !== undefined || !PTS_TIME.test(line)) return false;
        firstFrame = line;
        return true;
      },
      timeoutMs: 300_000,
    },
  );
  const start = firstFrame === undefined ? null : PTS_TIME.exec(firstFrame);
  return { samples: await pcmSamples({ pcm: Buffer.concat(chunks), channels: 1 }), startS: Number(start?.[1] ?? 0) };
}
