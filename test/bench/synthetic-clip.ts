import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAMPLE_RATE } from './sync-schedule.ts';
import { TestPattern } from './test-pattern.ts';
import { renderTone } from './tone.ts';
import { runTool } from './tool-run.ts';

/** A clip of the synthetic content encoded locally by ffmpeg: a reference for the checks. */
export interface SyntheticClipOptions {
  /** Output path: `.webm` for vp8/vp9, `.mp4` for h264. */
  readonly file: string;
  readonly codec: 'vp8' | 'vp9' | 'h264';
  /** Whole seconds of content. */
  readonly seconds: number;
  /** @default 320 */
  readonly width?: number;
  /** @default 180 */
  readonly height?: number;
  /** @default 30 */
  readonly fps?: number;
  /** @default 400 */
  readonly bitrateKbps?: number;
  /** The beeping tone, digital silence, or no audio stream. @default 'tone' */
  readonly audio?: 'tone' | 'silent' | 'none';
  /** Delay the audio by this much (≥ 0), to plant a known A/V offset. @default 0 */
  readonly audioDelayMs?: number;
  /** Frames in [from, to) repeat frame `from`: a frozen camera. */
  readonly freeze?: { readonly from: number; readonly to: number };
}

function videoCodecArgs(codec: SyntheticClipOptions['codec'], kbps: number, gop: number): string[] {
  const rate = ['-b:v', `${kbps}k`, '-g', String(gop)];
  if (codec === 'h264') return ['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', ...rate];
  const encoder = codec === 'vp8' ? 'libvpx' : 'libvpx-vp9';
  return ['-c:v', encoder, '-deadline', 'realtime', '-cpu-used', '8', ...rate];
}

/** Renders the synthetic frames and tone and encodes them into `file` with ffmpeg. */
export async function encodeSyntheticClip(options: SyntheticClipOptions): Promise<void> {
  const pattern = new TestPattern({
    width: options.width ?? 320,
    height: options.height ?? 180,
    fps: options.fps ?? 30,
  });
  const frames = options.seconds * pattern.fps;
  const audio = options.audio ?? 'tone';
  const delay = options.audioDelayMs ?? 0;
  if (!Number.isInteger(options.seconds) || options.seconds < 1 || delay < 0) {
    throw new RangeError(`clip needs whole seconds ≥ 1 and a delay ≥ 0, got ${options.seconds} s, ${delay} ms`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'ue-clip-'));
  try {
    const videoFile = join(dir, 'video.yuv');
    const handle = await open(videoFile, 'w');
    try {
      for (let n = 0; n < frames; n++) {
        const frozen = options.freeze !== undefined && n >= options.freeze.from && n < options.freeze.to;
        await handle.write(pattern.render(frozen ? (options.freeze?.from ?? n) : n));
      }
    } finally {
      await handle.close();
    }
    const inputs = ['-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${pattern.width}x${pattern.height}`];
    inputs.push('-r', String(pattern.fps), '-i', videoFile);
    const maps = ['-map', '0:v'];
    if (audio !== 'none') {
      const samples = options.seconds * SAMPLE_RATE;
      const pcm = audio === 'tone' ? renderTone(0, samples) : new Int16Array(samples);
      const audioFile = join(dir, 'audio.raw');
      await writeFile(audioFile, new Uint8Array(pcm.buffer));
      if (delay > 0) inputs.push('-itsoffset', String(delay / 1000));
      inputs.push('-f', 's16le', '-ar', String(SAMPLE_RATE), '-ac', '1', '-i', audioFile);
      maps.push('-map', '1:a');
    }
    const audioCodec = options.codec === 'h264' ? ['-c:a', 'aac', '-b:a', '128k'] : ['-c:a', 'libopus', '-b:a', '64k'];
    await runTool('ffmpeg', [
      '-nostats',
      '-v',
      'error',
      '-y',
      ...inputs,
      ...maps,
      ...videoCodecArgs(options.codec, options.bitrateKbps ?? 400, pattern.fps * 2),
      ...(audio === 'none' ? [] : [...audioCodec, '-ac', '2']),
      options.file,
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
