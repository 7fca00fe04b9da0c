import { describe, expect, it } from 'vitest';
import { BEEP_MS, BEEP_PERIOD_MS, msUntilBetweenBeeps } from './sync-schedule.ts';

describe('msUntilBetweenBeeps', () => {
  const middle = (BEEP_MS + BEEP_PERIOD_MS) / 2;

  it('lands every phase in the middle between two beeps, never inside one', () => {
    const startedAt = 1_700_000_000_123.25;
    for (let phase = 0; phase < BEEP_PERIOD_MS; phase += 7.5) {
      const now = startedAt + 3 * BEEP_PERIOD_MS + phase;
      const wait = msUntilBetweenBeeps(startedAt, now);
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThan(BEEP_PERIOD_MS);
      const landed = (now + wait - startedAt) % BEEP_PERIOD_MS;
      expect(landed).toBeCloseTo(middle, 6);
    }
  });

  it('waits nothing when it is already the middle, and a whole period just after it', () => {
    expect(msUntilBetweenBeeps(0, middle)).toBe(0);
    expect(msUntilBetweenBeeps(0, middle + 1)).toBe(BEEP_PERIOD_MS - 1);
  });
});
