import { expect, test } from 'vitest';
import { LossWatch } from './loss-watch.ts';

function watch(): { watch: LossWatch; losses: number[]; clock: { now: number } } {
  const clock = { now: 0 };
  const losses: number[] = [];
  const w = new LossWatch({ maxWaitMs: 250, maxGap: 100, onLoss: (n) => losses.push(n), now: () => clock.now });
  return { watch: w, losses, clock };
}

test('a gap repaired in time is no loss', () => {
  const { watch: w, losses, clock } = watch();
  for (const seq of [10, 11, 13, 14]) w.packet(seq);
  expect(w.pending).toBe(1);
  clock.now = 100;
  w.packet(12); // retransmission
  clock.now = 1_000;
  w.packet(15);
  expect(losses).toEqual([]);
  expect(w.pending).toBe(0);
});

test('a gap still open after maxWaitMs is reported once', () => {
  const { watch: w, losses, clock } = watch();
  for (const seq of [10, 13]) w.packet(seq);
  clock.now = 300;
  w.packet(14);
  w.packet(15);
  expect(losses).toEqual([2]);
  expect(w.pending).toBe(0);
});

test('sequence wrap-around is continuous', () => {
  const { watch: w, losses, clock } = watch();
  for (const seq of [65_534, 65_535, 0, 1]) w.packet(seq);
  clock.now = 1_000;
  w.packet(2);
  expect(losses).toEqual([]);
});

test('a jump larger than maxGap is a loss at once', () => {
  const { watch: w, losses } = watch();
  w.packet(10);
  w.packet(500);
  expect(losses).toEqual([489]);
});
