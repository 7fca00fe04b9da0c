import { MediaCheckError } from './bench-errors.ts';
import { codeStripHeight, readFrameCode } from './frame-code.ts';
import { runTool } from './tool-run.ts';

/** Part of the frame to analyse, in fractions (0..1) of its width and height: a tile of a composite. */
export interface Region {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** Options shared by the video checks. */
export interface VideoScanOptions {
  /** Analyse only this part of each frame. @default the whole frame */
  readonly region?: Region;
  /** @default 300 000 */
  readonly timeoutMs?: number;
}

/** One decoded frame of a file, as analysed. */
export interface ScannedFrame {
  /** Presentation time in seconds (file start = 0, as ffmpeg counts it). */
  readonly pts: number;
  /** The machine-readable frame number, or null if unreadable. */
  readonly number: number | null;
  /** Mean luma below the code strip, 0..255. */
  readonly meanLuma: number;
}

/**
 * Every frame is scaled to this size before analysis: the frame code is laid out in fractions of the frame,
 * so any source size decodes the same, and small frames keep the pipe (and memory) cheap.
 */
const SCAN_WIDTH = 512;
const SCAN_HEIGHT = 288;
const PTS_LINE = /\bn:\s*(\d+)\s+pts:\s*(\S+)\s+pts_time:\s*(\S+)/;

function meanBelowStrip(gray: Uint8Array): number {
  let sum = 0;
  let count = 0;
  for (let row = codeStripHeight(SCAN_HEIGHT); row < SCAN_HEIGHT; row += 2) {
    for (let x = 0; x < SCAN_WIDTH; x += 2) {
      sum += gray[row * SCAN_WIDTH + x] ?? 0;
      count++;
    }
  }
  return sum / count;
}

function cropFilter(region: Region | undefined): string {
  if (region === undefined) return '';
  const { x, y, width, height } = region;
  if ([x, y, width, height].some((v) => v < 0 || v > 1) || width === 0 || height === 0) {
    throw new RangeError(`region must be fractions in 0..1 with a non-zero size, got ${JSON.stringify(region)}`);
  }
  return `crop=iw*${width}:ih*${height}:iw*${x}:ih*${y},`;
}

/**
 * Decodes the first video stream of `file` to gray frames (every decoded frame, no rate conversion) and
 * reads each frame's code and brightness on the fly, so files of any length stream through in bounded memory.
 */
export async function scanVideo(file: string, options: VideoScanOptions = {}): Promise<ScannedFrame[]> {
  const frameBytes = SCAN_WIDTH * SCAN_HEIGHT;
  const analysed: { number: number | null; meanLuma: number }[] = [];
  let frame = new Uint8Array(frameBytes);
  let filled = 0;
  const onStdout = (chunk: Buffer): void => {
    let offset = 0;
    // Each pass consumes at least one byte of the chunk.
    while (offset < chunk.length) {
      const take = Math.min(frameBytes - filled, chunk.length - offset);
      frame.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === frameBytes) {
        analysed.push({ number: readFrameCode(frame, SCAN_WIDTH, SCAN_HEIGHT), meanLuma: meanBelowStrip(frame) });
        frame = new Uint8Array(frameBytes);
        filled = 0;
      }
    }
  };
  const filter = `${cropFilter(options.region)}showinfo,scale=${SCAN_WIDTH}:${SCAN_HEIGHT}:flags=area`;
  const { stderr } = await runTool(
    'ffmpeg',
    [
      '-nostats',
      '-i',
      file,
      '-map',
      '0:v:0',
      '-vf',
      filter,
      '-fps_mode',
      'passthrough',
      '-pix_fmt',
      'gray',
      '-f',
      'rawvideo',
      'pipe:1',
    ],
    { onStdout, keepStderr: (line) => line.includes('pts_time:'), timeoutMs: options.timeoutMs ?? 300_000 },
  );
  const times = stderr.flatMap((line) => {
    const match = PTS_LINE.exec(line);
    return match === null ? [] : [Number(match[3])];
  });
  if (times.length !== analysed.length) {
    throw new MediaCheckError(
      'ffmpeg',
      `${file}: ${analysed.length} frames decoded but ${times.length} timestamps logged`,
    );
  }
  return analysed.map((a, i) => ({ pts: times[i] ?? Number.NaN, number: a.number, meanLuma: a.meanLuma }));
}
