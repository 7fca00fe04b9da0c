import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { Keepalive } from './keepalive.ts';

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

test('pings every interval with the last round trip', () => {
  const pings: [number, number][] = [];
  const k = new Keepalive({
    intervalMs: 5_000,
    timeoutMs: 15_000,
    sendPing: (t, r) => pings.push([t, r]),
    onTimeout: () => undefined,
  });
  k.start();
  vi.advanceTimersByTime(5_000);
  const [[sentAt] = [0]] = pings;
  vi.advanceTimersByTime(40);
  k.pong(sentAt);
  k.heard();
  vi.advanceTimersByTime(4_960);
  expect(pings).toHaveLength(2);
  expect(pings[1]?.[1]).toBe(40);
  expect(k.rttMs).toBe(40);
  k.stop();
});

test('times out once when the server stays silent, and not while it talks', () => {
  const onTimeout = vi.fn();
  const k = new Keepalive({ intervalMs: 1_000, timeoutMs: 3_000, sendPing: () => undefined, onTimeout });
  k.start();
  for (let i = 0; i < 5; i++) {
    vi.advanceTimersByTime(2_000);
    k.heard();
  }
  expect(onTimeout).not.toHaveBeenCalled();
  vi.advanceTimersByTime(3_001);
  expect(onTimeout).toHaveBeenCalledTimes(1);
  vi.advanceTimersByTime(10_000);
  expect(onTimeout).toHaveBeenCalledTimes(1);
});

test('stop clears both timers', () => {
  const sendPing = vi.fn();
  const onTimeout = vi.fn();
  const k = new Keepalive({ intervalMs: 1_000, timeoutMs: 2_000, sendPing, onTimeout });
  k.start();
  k.stop();
  k.stop();
  vi.advanceTimersByTime(10_000);
  expect(sendPing).not.toHaveBeenCalled();
  expect(onTimeout).not.toHaveBeenCalled();
  expect(vi.getTimerCount()).toBe(0);
});
