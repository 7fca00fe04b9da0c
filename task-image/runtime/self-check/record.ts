import type { Logger } from '#shared/logger.ts';
import { CAPTURE_SINK, type CaptureStack } from '../capture/capture-stack.ts';
import { runTool } from '../capture/run-tool.ts';

export interface RecordOptions {
  readonly stack: CaptureStack;
  readonly width: number;
  readonly height: number;
  readonly seconds: number;
  readonly file: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
}

/**
 * Records the screen (x11grab) and the sink's monitor (pulse) for `seconds` into an H.264/AAC MP4 — the
 * capture path of room composite egress, with the encoder settings of its 720p30 preset.
 *
 * The pulse input comes first: ffmpeg opens inputs one after the other, opening a monitor of a sink whose
 * stream has just started takes up to ~1 s, and x11grab opened before it repeats its first frame over that
 * gap (measured: 0.7–1.3 s of frozen picture at the start of every recording, none with this order).
 */
export async function recordScreen(options: RecordOptions): Promise<void> {
  const size = `${options.width}x${options.height}`;
  const args = [
    ...['-hide_banner', '-nostats', '-loglevel', 'warning', '-y'],
    ...['-f', 'pulse', '-thread_queue_size', '512', '-i', `${CAPTURE_SINK}.monitor`],
    ...['-f', 'x11grab', '-video_size', size, '-framerate', '30', '-draw_mouse', '0', '-thread_queue_size', '512'],
    ...['-i', `${options.stack.display}.0`],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', '60'],
    ...['-c:a', 'aac', '-b:a', '128k', '-ar', '48000'],
    ...['-t', String(options.seconds), '-movflags', '+faststart', options.file],
  ];
  // ffmpeg stops by itself after `-t`; the margin covers its start and the MP4 finalisation.
  await runTool('ffmpeg', args, {
    logger: options.logger,
    env: options.stack.env,
    timeoutMs: (options.seconds + 30) * 1000,
    signal: options.signal,
  });
}
