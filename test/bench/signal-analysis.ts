/**
 * Pure analysis of decoded media: beep onsets in PCM, flash onsets in per-frame luma, percentiles and
 * onset pairing. No I/O: `media-check.ts` decodes with ffmpeg and hands the samples here.
 */
import { BEEP_HZ } from './sync-schedule.ts';

/** Loudness of a PCM signal, in dBFS like ffmpeg's volumedetect (digital silence reads −91 dB). */
export interface Loudness {
  readonly meanDb: number;
  readonly maxDb: number;
  /** Peak below −50 dBFS. */
  readonly silent: boolean;
}

/** A peak below this (dBFS) is silence: the noise floor of a muted or missing track. */
export const SILENT_BELOW_DB = -50;
const FLOOR_DB = -91;

/** Mean (RMS) and peak level of s16 samples. */
export function pcmLoudness(samples: Int16Array): Loudness {
  let power = 0;
  let peak = 0;
  for (const s of samples) {
    power += s * s;
    peak = Math.max(peak, Math.abs(s));
  }
  const toDb = (ratio: number, factor: number): number =>
    ratio <= 0 ? FLOOR_DB : Math.max(FLOOR_DB, factor * Math.log10(ratio));
  const meanDb = toDb(samples.length === 0 ? 0 : power / samples.length / 32768 ** 2, 10);
  const maxDb = toDb(peak / 32768, 20);
  return { meanDb, maxDb, silent: maxDb < SILENT_BELOW_DB };
}

/** Averages interleaved channels into mono. */
export function downmix(interleaved: Int16Array, channels: number): Int16Array {
  if (channels === 1) return interleaved;
  const frames = Math.floor(interleaved.length / channels);
  const out = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += interleaved[i * channels + c] ?? 0;
    out[i] = Math.round(sum / channels);
  }
  return out;
}

/**
 * Amplitude (0..1 of full scale) of the beep frequency in 4 ms windows every 1 ms, by correlating with a
 * 1 kHz sine and cosine. Window j covers [j − 4, j) ms, zero before sample 0, so it is centred on
 * `(j − 2) ms` and a beep starting on the very first sample still shows its rising edge. A window of whole beep periods makes the
 * estimate blind to the steady tone and ramp linearly over an onset, so the half-amplitude crossing is the
 * onset itself.
 */
function beepEnvelope(samples: Int16Array, sampleRate: number): Float64Array {
  const period = sampleRate / BEEP_HZ;
  if (!Number.isInteger(period) || sampleRate % 1000 !== 0) {
    throw new RangeError(`beep analysis needs a sample rate that is a multiple of 1 kHz, got ${sampleRate}`);
  }
  const cos = Float64Array.from({ length: period }, (_, k) => Math.cos((2 * Math.PI * k) / period));
  const sin = Float64Array.from({ length: period }, (_, k) => Math.sin((2 * Math.PI * k) / period));
  const hop = sampleRate / 1000;
  const window = 4 * hop;
  const count = Math.floor(samples.length / hop) + 1;
  const envelope = new Float64Array(count);
  for (let j = 0; j < count; j++) {
    let re = 0;
    let im = 0;
    const end = Math.min(samples.length, j * hop);
    for (let k = Math.max(0, j * hop - window); k < end; k++) {
      const x = samples[k] ?? 0;
      re += x * (cos[k % period] ?? 0);
      im += x * (sin[k % period] ?? 0);
    }
    envelope[j] = (2 * Math.hypot(re, im)) / window / 32768;
  }
  return envelope;
}

/** Tuning of {@link beepOnsets}. */
export interface BeepDetection {
  /** A beep must reach this amplitude (0..1). @default 0.02 (−34 dBFS) */
  readonly minAmplitude?: number;
  /** Shorter bursts are ignored as clicks. @default 30 */
  readonly minDurationMs?: number;
  /** Samples before this time (s) are padding, not signal: an onset needs its quiet lead-in after it. @default 0 */
  readonly observedFromS?: number;
}

/**
 * Onset times (seconds from sample 0) of the 1 kHz beeps in mono PCM, to about 0.1 ms. A beep already
 * sounding at the first sample has no visible onset and is left out.
 */
export function beepOnsets(samples: Int16Array, sampleRate: number, tuning: BeepDetection = {}): number[] {
  const env = beepEnvelope(samples, sampleRate);
  const peak = env.reduce((max, v) => Math.max(max, v), 0);
  if (peak < (tuning.minAmplitude ?? 0.02)) return [];
  const at = (j: number): number => env[j] ?? 0;
  // An onset counts only with its rising edge in view: the 10 ms before the ramp must be observed signal
  // (after observedFromS) and quiet. A beep the recording starts in the middle of — or one the padding of a
  // late audio stream cuts into — would otherwise be dated to where the signal starts.
  const observedFrom = Math.ceil((tuning.observedFromS ?? 0) * 1000);
  const quietBefore = (k: number, plateau: number): boolean => {
    if (k - 14 < observedFrom) return false;
    for (let i = k - 10; i <= k - 4; i++) if (at(i) >= plateau / 4) return false;
    return true;
  };
  const onsets: number[] = [];
  let j = 0;
  // Each pass moves j forward by at least one window, so the loop ends within env.length passes.
  while (j < env.length) {
    if (at(j) < peak / 4) {
      j++;
      continue;
    }
    let plateau = 0;
    for (let k = j; k < Math.min(env.length, j + 80); k++) plateau = Math.max(plateau, at(k));
    const half = plateau / 2;
    let k = j;
    while (k < env.length - 1 && at(k) < half) k++;
    const before = Math.max(0, k - 1);
    const fraction = k === before || at(k) === at(before) ? 0 : (half - at(before)) / (at(k) - at(before));
    let end = k;
    while (end < env.length && end - k < 2_000 && at(end) >= half / 2) end++;
    if (end - k >= (tuning.minDurationMs ?? 30) && quietBefore(k, plateau)) onsets.push((before + fraction - 2) / 1000);
    j = Math.max(end, k + 200);
  }
  return onsets;
}

/**
 * Onset times of flashes: the first frame of each run whose luma is at least halfway to the brightest. Like
 * a beep, a flash already lit on the first frame has no visible onset and is left out.
 */
export function flashOnsets(frames: readonly { readonly pts: number; readonly meanLuma: number }[]): number[] {
  if (frames.length === 0) return [];
  const lumas = frames.map((f) => f.meanLuma);
  const baseline = percentile(lumas, 50);
  const brightest = Math.max(...lumas);
  // Less than this between a typical and the brightest frame means there are no flashes at all.
  if (brightest - baseline < 60) return [];
  const threshold = baseline + (brightest - baseline) / 2;
  const onsets: number[] = [];
  let lit = true;
  for (const frame of frames) {
    const now = frame.meanLuma >= threshold;
    if (now && !lit) onsets.push(frame.pts);
    lit = now;
  }
  return onsets;
}

/** Nearest-rank percentile (`p` in 0..100) of `values`; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** A flash and the beep nearest to it; `offsetMs` > 0 means the audio is late. */
export interface OnsetPair {
  readonly flash: number;
  readonly beep: number;
  readonly offsetMs: number;
}

/** Pairs each flash with the nearest beep no more than `maxGapS` away. */
export function pairOnsets(flashes: readonly number[], beeps: readonly number[], maxGapS = 0.4): OnsetPair[] {
  const pairs: OnsetPair[] = [];
  for (const flash of flashes) {
    let best: number | undefined;
    for (const beep of beeps) if (best === undefined || Math.abs(beep - flash) < Math.abs(best - flash)) best = beep;
    if (best !== undefined && Math.abs(best - flash) <= maxGapS) {
      pairs.push({ flash, beep: best, offsetMs: (best - flash) * 1000 });
    }
  }
  return pairs;
}
