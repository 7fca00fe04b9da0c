/**
 * The one timeline shared by the synthetic audio and video: a beep of {@link BEEP_MS} starts on every whole
 * second of content time, and the video frames whose capture instant falls inside a beep are flashed white.
 * Both are computed from the same sample index, so a flash and its beep start at the same content instant
 * (exactly, for integer frame rates) and any offset measured in an output comes from the pipeline under test.
 */

/** Sample rate of every synthetic and analysed audio signal. */
export const SAMPLE_RATE = 48_000;
/** Beep (and flash) period. */
export const BEEP_PERIOD_MS = 1_000;
/** Beep (and flash) length. */
export const BEEP_MS = 100;
/** Beep tone frequency. */
export const BEEP_HZ = 1_000;

const periodSamples = (SAMPLE_RATE * BEEP_PERIOD_MS) / 1_000;
const beepSamples = (SAMPLE_RATE * BEEP_MS) / 1_000;

/** Whether content sample `sample` (per channel, from content time zero) lies inside a beep. */
export function isBeepSample(sample: number): boolean {
  return sample % periodSamples < beepSamples;
}

/** Position of `sample` inside its beep period, in samples. */
export function samplePhaseInPeriod(sample: number): number {
  return sample % periodSamples;
}

/** The content sample at which video frame `frame` is captured. */
export function frameStartSample(frame: number, fps: number): number {
  return Math.floor((frame * SAMPLE_RATE) / fps);
}

/** Whether video frame `frame` is a flash frame: its capture instant lies inside a beep. */
export function isFlashFrame(frame: number, fps: number): boolean {
  return isBeepSample(frameStartSample(frame, fps));
}

/**
 * Milliseconds from `nowMs` until the middle between two beeps of a publisher whose content time zero is
 * `startedAtMs` (both epoch ms). A mute or unmute sent then lands in silence: one that hit a beep would cut
 * its start off, and the beep's onset would be measured late by the part cut off.
 */
export function msUntilBetweenBeeps(startedAtMs: number, nowMs: number): number {
  const middle = (BEEP_MS + BEEP_PERIOD_MS) / 2;
  const phase = (((nowMs - startedAtMs) % BEEP_PERIOD_MS) + BEEP_PERIOD_MS) % BEEP_PERIOD_MS;
  return (middle - phase + BEEP_PERIOD_MS) % BEEP_PERIOD_MS;
}
