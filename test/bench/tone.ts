import { BEEP_HZ, SAMPLE_RATE, isBeepSample, samplePhaseInPeriod } from './sync-schedule.ts';

/** The synthetic audio: a steady low tone with a 1 kHz beep on every whole second. */
export interface ToneOptions {
  /** Frequency of the steady tone, whole Hz in 20..800 (kept clear of the beep). @default 220 */
  readonly frequency?: number;
  /** Amplitude of the steady tone, 0..1 of full scale. @default 0.1 (−20 dBFS) */
  readonly toneAmplitude?: number;
  /** Amplitude of the beep, 0..1 of full scale. @default 0.5 (−6 dBFS) */
  readonly beepAmplitude?: number;
  /** Interleaved channels written (the same signal in each). @default 1 */
  readonly channels?: number;
}

/**
 * Renders `count` samples per channel starting at content sample `start` (48 kHz, s16, interleaved).
 * Pure: the same sample index always gives the same value, so frames rendered late or skipped never shift
 * the beeps. The beep restarts at phase 0 on each second, giving it a sharp, measurable onset.
 */
export function renderTone(start: number, count: number, options: ToneOptions = {}): Int16Array {
  const frequency = options.frequency ?? 220;
  const toneAmplitude = options.toneAmplitude ?? 0.1;
  const beepAmplitude = options.beepAmplitude ?? 0.5;
  const channels = options.channels ?? 1;
  if (!Number.isInteger(frequency) || frequency < 20 || frequency > 800) {
    throw new RangeError(`tone frequency must be a whole number of Hz in 20..800, got ${frequency}`);
  }
  const out = new Int16Array(count * channels);
  const toneStep = (2 * Math.PI * frequency) / SAMPLE_RATE;
  const beepStep = (2 * Math.PI * BEEP_HZ) / SAMPLE_RATE;
  for (let i = 0; i < count; i++) {
    const sample = start + i;
    // A whole-Hz tone completes whole cycles every second: reducing by one second keeps the phase exact
    // over hours of samples.
    const tonePhase = (sample % SAMPLE_RATE) * toneStep;
    let value = toneAmplitude * Math.sin(tonePhase);
    if (isBeepSample(sample)) value += beepAmplitude * Math.sin(samplePhaseInPeriod(sample) * beepStep);
    const s16 = Math.max(-32768, Math.min(32767, Math.round(value * 32767)));
    for (let c = 0; c < channels; c++) out[i * channels + c] = s16;
  }
  return out;
}
