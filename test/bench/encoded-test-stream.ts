import { createLogger } from '#shared/logger.ts';
import { ManagedProcess } from '#shared/managed-process.ts';

/** Options of a synthetic encoded stream, shaped like the composite encoder's output. */
export interface EncodedTestStreamOptions {
  /** Seconds of media. */
  readonly seconds: number;
  /** @default 640 */
  readonly width?: number;
  /** @default 360 */
  readonly height?: number;
  /** @default 30 */
  readonly fps?: number;
  /** Seconds between keyframes. @default 2 */
  readonly keyFrameIntervalSec?: number;
  /** Paced at real time (`-re`), as a live capture is. @default true */
  readonly realtime?: boolean;
  /** @default true */
  readonly video?: boolean;
  /** @default true */
  readonly audio?: boolean;
}

/** A running synthetic stream. */
export interface EncodedTestStream {
  /** Resolves when the stream ended (every chunk was delivered). */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/**
 * MPEG-TS of H.264 (testsrc2, with a moving picture) + AAC 48 kHz stereo (a sine), from the real ffmpeg,
 * delivered chunk by chunk to `onChunk`: what a composite sink reads from the encoder, without a browser.
 */
export function startEncodedTestStream(
  options: EncodedTestStreamOptions,
  onChunk: (chunk: Buffer) => void,
): EncodedTestStream {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const fps = options.fps ?? 30;
  const gop = Math.round((options.keyFrameIntervalSec ?? 2) * fps);
  const video = options.video ?? true;
  const audio = options.audio ?? true;
  const args = ['-hide_banner', '-nostats', '-loglevel', 'error'];
  if (options.realtime ?? true) args.push('-re');
  if (video) args.push('-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`);
  if (options.realtime ?? true) args.push('-re');
  if (audio) args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000');
  args.push('-t', String(options.seconds));
  if (video) {
    args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p');
    args.push('-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0', '-b:v', '800k');
  }
  if (audio) args.push('-c:a', 'aac', '-b:a', '128k', '-ac', '2', '-ar', '48000');
  // One audio frame per PES, as the composite encoder writes it.
  args.push('-f', 'mpegts', '-pes_payload_size', '0', 'pipe:1');
  const proc = new ManagedProcess('ffmpeg', args, {
    name: 'ffmpeg test stream',
    logger: createLogger({ component: 'encoded-test-stream' }),
    rawStdout: true,
  });
  let pending: Buffer = Buffer.alloc(0);
  proc.child.stdout?.on('data', (chunk: Buffer) => {
    // Whole 188-byte packets only, as the encoder's fan-out delivers them.
    const bytes = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const whole = bytes.length - (bytes.length % 188);
    if (whole > 0) onChunk(bytes.subarray(0, whole));
    pending = bytes.subarray(whole);
  });
  const done = proc.exited.then((exit) => {
    if (exit.code !== 0 && exit.signal === null) throw new Error(`ffmpeg test stream failed: exit ${exit.code}`);
  });
  return {
    done,
    stop: async () => {
      await proc.stop('SIGKILL');
    },
  };
}
