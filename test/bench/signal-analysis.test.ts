import { describe, expect, it } from 'vitest';
import { startPacer, type ContentClock } from './pacer.ts';
import { beepOnsets, downmix, flashOnsets, pairOnsets, pcmLoudness, percentile } from './signal-analysis.ts';
import { SAMPLE_RATE } from './sync-schedule.ts';
import { renderTone } from './tone.ts';

describe('beep onsets', () => {
  it('finds each beep of the synthetic tone to within 0.2 ms, wherever the recording starts', () => {
    // From 0.5 s into the content to 21 ms before a beep.
    for (const start of [24_000, 40_000, 47_000]) {
      const onsets = beepOnsets(renderTone(start, 3 * SAMPLE_RATE), SAMPLE_RATE);
      expect(onsets).toHaveLength(3);
      onsets.forEach((t, k) => expect(Math.abs(t + start / SAMPLE_RATE - (k + 1))).toBeLessThan(0.0002));
    }
  });

  it('leaves out a beep the recording starts in, which has no visible onset', () => {
    expect(beepOnsets(renderTone(0, 2 * SAMPLE_RATE), SAMPLE_RATE)).toEqual([expect.closeTo(1, 3)]);
    // Starting 50 ms into a beep: only the next two onsets are dated.
    const late = beepOnsets(renderTone(2_400, 2 * SAMPLE_RATE), SAMPLE_RATE);
    expect(late).toEqual([expect.closeTo(0.95, 3), expect.closeTo(1.95, 3)]);
  });

  it('finds none in silence, in the steady tone alone, or in 5 ms clicks', () => {
    expect(beepOnsets(new Int16Array(2 * SAMPLE_RATE), SAMPLE_RATE)).toEqual([]);
    expect(beepOnsets(renderTone(0, 2 * SAMPLE_RATE, { beepAmplitude: 0 }), SAMPLE_RATE)).toEqual([]);
    const clicks = renderTone(0, 2 * SAMPLE_RATE, { toneAmplitude: 0 });
    for (let i = 0; i < clicks.length; i++) if (i % SAMPLE_RATE >= 240) clicks[i] = 0;
    expect(beepOnsets(clicks, SAMPLE_RATE)).toEqual([]);
  });

  it('rejects a sample rate it cannot analyse and a tone that would mask the beep', () => {
    expect(() => beepOnsets(new Int16Array(100), 44_100)).toThrow(RangeError);
    expect(() => renderTone(0, 10, { frequency: 1000 })).toThrow(RangeError);
  });
});

describe('loudness', () => {
  it('reads the tone as loud and zeros as digital silence', () => {
    const tone = pcmLoudness(renderTone(0, SAMPLE_RATE));
    expect(tone.silent).toBe(false);
    expect(tone.maxDb).toBeGreaterThan(-6);
    expect(tone.meanDb).toBeGreaterThan(-25);
    expect(pcmLoudness(new Int16Array(1000))).toEqual({ meanDb: -91, maxDb: -91, silent: true });
  });

  it('downmixes interleaved stereo', () => {
    expect([...downmix(Int16Array.from([100, 300, -50, 50]), 2)]).toEqual([200, 0]);
  });
});

describe('flash onsets, pairing and percentiles', () => {
  const frames = (lumas: number[]): { pts: number; meanLuma: number }[] =>
    lumas.map((meanLuma, i) => ({ pts: i / 10, meanLuma }));

  it('finds the first frame of each flash and none in a steady picture', () => {
    expect(flashOnsets(frames([70, 240, 240, 70, 72, 71, 238, 70]))).toEqual([0.1, 0.6]);
    expect(flashOnsets(frames([70, 90, 80, 100, 70]))).toEqual([]);
    expect(flashOnsets(frames([240, 70, 70, 70, 70, 240, 70]))).toEqual([0.5]);
  });

  it('pairs each flash with the nearest beep and leaves far ones unpaired', () => {
    expect(pairOnsets([1, 2, 5], [1.05, 1.98, 3.5])).toEqual([
      { flash: 1, beep: 1.05, offsetMs: expect.closeTo(50, 6) as number },
      { flash: 2, beep: 1.98, offsetMs: expect.closeTo(-20, 6) as number },
    ]);
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 100], 95)).toBe(100);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('pacer', () => {
  it('emits units in order and skips, rather than bunches, units it fell behind on', async () => {
    let now = 0;
    const clock: ContentClock = { startedAt: 0, elapsedMs: () => now };
    const emitted: number[] = [];
    const pacer = startPacer(clock, { periodMs: 10, maxBurst: 3, emit: (i) => void emitted.push(i) });
    try {
      await expect.poll(() => emitted, { timeout: 2_000 }).toEqual([0]);
      now = 25;
      await expect.poll(() => emitted, { timeout: 2_000 }).toEqual([0, 1, 2]);
      now = 1_000; // a stall of almost a second: units 3..97 are stale
      await expect.poll(() => emitted.at(-1), { timeout: 2_000 }).toBe(100);
      expect(emitted.slice(3)).toEqual([98, 99, 100]);
      expect(pacer.stats()).toMatchObject({ emitted: 6, skipped: 95 });
    } finally {
      await pacer.stop();
    }
  });

  it('stops on the first failed emit and keeps the error', async () => {
    const clock: ContentClock = { startedAt: 0, elapsedMs: () => 0 };
    const pacer = startPacer(clock, {
      periodMs: 10,
      emit: () => Promise.reject(new Error('source closed')),
    });
    await expect.poll(() => pacer.stats().error, { timeout: 2_000 }).toBeInstanceOf(Error);
    await pacer.stop();
  });
});
