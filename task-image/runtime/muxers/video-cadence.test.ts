import { describe, expect, test } from 'vitest';
import { VideoCadence, chooseGrid } from './video-cadence.ts';

/** A deterministic pseudo-random sequence in [0, 1). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Places `times` (90 kHz) and returns the written times, in order. */
function placeAll(times: readonly number[]): { out: number[]; cadence: VideoCadence<number> } {
  const cadence = new VideoCadence<number>(90_000);
  const out: number[] = [];
  times.forEach((time, i) => {
    const placed = cadence.place(time, i);
    if (placed !== undefined) out.push(placed.time);
  });
  const last = cadence.flush();
  if (last !== undefined) out.push(last.time);
  return { out, cadence };
}

/** Capture times of a `fps` source over `frames` frames, each late by up to `jitterMs` (never early). */
function source(fps: number, frames: number, jitterMs: number, seed = 1): number[] {
  const next = random(seed);
  return Array.from({ length: frames }, (_, n) => Math.round((n * 90_000) / fps + next() * jitterMs * 90));
}

const intervals = (out: readonly number[]): number[] => out.slice(1).map((t, i) => t - (out[i] ?? 0));

describe('VideoCadence', () => {
  test('moves a jittery 30 fps source onto its grid: no two frames closer than a period', () => {
    const times = source(30, 300, 12);
    // A frame 28 ms late, then the next one on time (a sender catching up): 5 ms apart at the source.
    times[150] = 150 * 3000 + 28 * 90;
    const { out, cadence } = placeAll(times);
    expect(out).toHaveLength(300);
    expect(cadence.gridPeriod).toBe(3000);
    for (const interval of intervals(out)) expect(interval % 3000).toBe(0);
    out.forEach((t, i) => expect(Math.abs(t - (times[i] ?? 0))).toBeLessThan(3000));
  });

  test('a first frame captured late sets the phase: the others are written that much later, still a period apart', () => {
    const times = source(30, 120, 2);
    times[0] = 25 * 90; // 25 ms late: on-time frames look early against its phase
    const { out } = placeAll(times);
    for (const [i, t] of out.entries()) {
      expect(t - (times[i] ?? 0)).toBeGreaterThanOrEqual(-2 * 90);
      expect(t - (times[i] ?? 0)).toBeLessThanOrEqual(25 * 90);
    }
    expect(new Set(intervals(out))).toEqual(new Set([3000]));
  });

  test('keeps pauses and dropped frames as whole numbers of frames', () => {
    const times = [...source(30, 60, 5), ...source(30, 60, 5, 2).map((t) => t + 60 * 3000 + 900_000)];
    times.splice(30, 2); // two frames the sender dropped
    const { out } = placeAll(times);
    const gaps = intervals(out).filter((i) => i > 4000);
    expect(gaps).toHaveLength(2);
    expect(Math.abs((gaps[1] ?? 0) - (900_000 + 3000))).toBeLessThan(600);
    expect(Math.round((gaps[0] ?? 0) / 3000)).toBe(3);
  });

  test.each([
    { fps: 25, period: 3600 },
    { fps: 60, period: 1500 },
    { fps: 15, period: 3000 },
    { fps: 24, period: 3750 },
  ])('finds the grid of a $fps fps source', ({ fps, period }) => {
    const { out, cadence } = placeAll(source(fps, 120, 3));
    expect(cadence.gridPeriod).toBe(period);
    expect(Math.min(...intervals(out))).toBeGreaterThan(0);
  });

  test('keeps the times of a source that fits no grid, only making them increase', () => {
    const next = random(7);
    let t = 0;
    const times = Array.from({ length: 120 }, () => (t += Math.round(500 + next() * 20_000)));
    const { out, cadence } = placeAll(times);
    expect(cadence.gridPeriod).toBeUndefined();
    expect(out.slice(31)).toEqual(times.slice(31));
  });

  test('keeps its grid through a stretch of irregular frames (a loaded machine), never closer than a period', () => {
    const next = random(11);
    const steady = source(30, 60, 3);
    let t = steady.at(-1) ?? 0;
    const burst = Array.from({ length: 40 }, () => (t += Math.round(500 + next() * 5_000)));
    const after = source(30, 60, 3).map((x) => x + t + 3000);
    const { out, cadence } = placeAll([...steady, ...burst, ...after]);
    expect(cadence.gridPeriod).toBe(3000);
    for (const d of intervals(out)) expect(d).toBeGreaterThanOrEqual(3000);
  });

  test('chooseGrid prefers the longer period when two fit (a 30 fps source also fits 60 fps)', () => {
    expect(chooseGrid(source(30, 30, 2), 90_000)).toBe(3000);
    expect(chooseGrid([], 90_000)).toBeUndefined();
  });
});
