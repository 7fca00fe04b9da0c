import { percentile } from './signal-analysis.ts';
import { scanVideo, type ScannedFrame, type VideoScanOptions } from './video-scan.ts';

/** A place where the decoded frame number did not advance by one. */
export interface FrameJump {
  readonly pts: number;
  readonly from: number;
  readonly to: number;
}

/** The frame numbers read from every decoded frame, and what is wrong with their sequence. */
export interface FrameNumberReport {
  readonly frames: readonly ScannedFrame[];
  /** The readable numbers, in decode order. */
  readonly numbers: readonly number[];
  /** Frames whose code could not be read. */
  readonly undecodable: number;
  /** Frames showing the same number as the frame before (duplicated or frozen). */
  readonly repeats: number;
  /** Forward skips and backward steps. */
  readonly jumps: readonly FrameJump[];
  /** Numbers skipped by forward jumps, in total. */
  readonly missing: number;
  readonly first: number | undefined;
  readonly last: number | undefined;
}

/** Reads the machine-readable counter from every frame of `file`'s first video stream. */
export async function frameNumbers(file: string, options: VideoScanOptions = {}): Promise<FrameNumberReport> {
  return numberReport(await scanVideo(file, options));
}

/** The frame-number report for already-scanned frames. */
export function numberReport(frames: readonly ScannedFrame[]): FrameNumberReport {
  const numbers: number[] = [];
  const jumps: FrameJump[] = [];
  let repeats = 0;
  let missing = 0;
  for (const frame of frames) {
    if (frame.number === null) continue;
    const previous = numbers.at(-1);
    if (previous !== undefined) {
      if (frame.number === previous) repeats++;
      else if (frame.number !== previous + 1) {
        jumps.push({ pts: frame.pts, from: previous, to: frame.number });
        if (frame.number > previous) missing += frame.number - previous - 1;
      }
    }
    numbers.push(frame.number);
  }
  return {
    frames,
    numbers,
    undecodable: frames.length - numbers.length,
    repeats,
    jumps,
    missing,
    first: numbers[0],
    last: numbers.at(-1),
  };
}

/** How far frame times stray from the source's capture clock. */
export interface CadenceReport {
  readonly fps: number;
  /** Frames per second of output time, fitted over the readable frames. */
  readonly measuredFps: number;
  /** Distinct frame numbers used. */
  readonly frames: number;
  /** Deviation of each frame's pts from `number / fps` after removing the median offset, ms. */
  readonly p50DriftMs: number;
  readonly p95DriftMs: number;
  readonly maxDriftMs: number;
}

/**
 * Frame cadence against the source clock: frame n was captured at n/`fps` s of content time, so after
 * removing the constant latency, pts − n/fps is the drift the pipeline added. Repeated numbers count once.
 */
export async function cadence(file: string, options: VideoScanOptions & { fps: number }): Promise<CadenceReport> {
  return cadenceReport(await scanVideo(file, options), options.fps);
}

/** The cadence report for already-scanned frames. */
export function cadenceReport(frames: readonly ScannedFrame[], fps: number): CadenceReport {
  const seen = new Set<number>();
  const points: { n: number; t: number }[] = [];
  for (const frame of frames) {
    if (frame.number === null || seen.has(frame.number) || !Number.isFinite(frame.pts)) continue;
    seen.add(frame.number);
    points.push({ n: frame.number, t: frame.pts });
  }
  const residuals = points.map((p) => p.t - p.n / fps);
  const offset = percentile(residuals, 50);
  const drift = residuals.map((r) => Math.abs(r - offset) * 1000);
  const meanN = points.reduce((s, p) => s + p.n, 0) / points.length;
  const meanT = points.reduce((s, p) => s + p.t, 0) / points.length;
  let cov = 0;
  let varT = 0;
  for (const p of points) {
    cov += (p.n - meanN) * (p.t - meanT);
    varT += (p.t - meanT) ** 2;
  }
  return {
    fps,
    measuredFps: varT > 0 ? cov / varT : Number.NaN,
    frames: points.length,
    p50DriftMs: percentile(drift, 50),
    p95DriftMs: percentile(drift, 95),
    maxDriftMs: drift.length === 0 ? Number.NaN : Math.max(...drift),
  };
}
