import { describe, expect, test } from 'vitest';
import { RtpTimeline, timestampDistance, type Placed } from './rtp-timeline.ts';

interface Packet {
  readonly ts: number;
}

/** A 48 kHz timeline fed 20 ms packets; `times` are the placed positions in ms. */
function audioTimeline() {
  const placed: Placed<Packet>[] = [];
  const timeline = new RtpTimeline<Packet>(
    (p) => placed.push(p),
    (p) => p.ts,
    { clockRate: 48_000 },
  );
  const push = (ts: number, arrivalMs: number): void =>
    timeline.push({ kind: 'packet', item: { ts: ts >>> 0 }, arrivalMs });
  const times = (): number[] => placed.flatMap((p) => (p.kind === 'packet' ? [p.time / 48] : []));
  return { timeline, placed, push, times };
}

/** `count` packets of 20 ms from RTP time `ts0` and arrival `at0`, with `jitterMs` added to every other one. */
function run(push: (ts: number, at: number) => void, ts0: number, at0: number, count: number, jitterMs = 0): void {
  for (let i = 0; i < count; i++) push(ts0 + i * 960, at0 + i * 20 + (i % 2) * jitterMs);
}

describe('RtpTimeline', () => {
  test('places packets by RTP time from the first one, across the 2^32 wrap', () => {
    const { push, times } = audioTimeline();
    run(push, 2 ** 32 - 1_920, 1_000, 5);
    expect(times()).toEqual([0, 20, 40, 60, 80]);
  });

  test('a pause the RTP clock ran through stays a pause (mute)', () => {
    const { timeline, push, times } = audioTimeline();
    run(push, 1_000, 0, 50);
    run(push, 1_000 + 550 * 960, 11_000, 50); // 10 s later on both clocks
    timeline.flush();
    expect(times()[50]).toBe(11_000);
    expect(timeline.arrivalCorrections).toBe(0);
  });

  test('a pause the RTP clock did not run through is placed by the arrival clock', () => {
    const { timeline, push, times } = audioTimeline();
    run(push, 1_000, 0, 50, 3);
    // The sender's clock froze for the 10 s mute: the next packet is 20 ms on in RTP time.
    run(push, 1_000 + 50 * 960, 11_000, 50, 3);
    timeline.flush();
    expect(times()[50]).toBeCloseTo(11_000, -1);
    expect(times()[99]).toBeCloseTo(11_980, -1);
    expect(timeline.arrivalCorrections).toBe(1);
  });

  test('a stall of the receiving process (late arrival, then a burst) does not shift the timeline', () => {
    const { timeline, push, times } = audioTimeline();
    run(push, 0, 0, 50);
    // 2 s stall: 100 packets queue up and arrive at once at 3 000 ms, then packets flow in real time.
    for (let i = 50; i < 150; i++) push(i * 960, 3_000);
    for (let i = 150; i < 200; i++) push(i * 960, i * 20);
    timeline.flush();
    expect(times()[150]).toBe(3_000);
    expect(timeline.arrivalCorrections).toBe(0);
  });

  test('holes pass through in order, also while packets are held', () => {
    const { timeline, placed, push } = audioTimeline();
    push(0, 0);
    timeline.push({ kind: 'loss', count: 2 });
    push(3 * 960, 60);
    push(4 * 960, 5_000); // suspicious pause: held
    timeline.push({ kind: 'loss', count: 1 });
    push(6 * 960, 7_100); // past the 2 s confirmation window: released
    expect(placed.map((p) => p.kind)).toEqual(['packet', 'loss', 'packet', 'packet', 'loss', 'packet']);
  });

  test('a backward jump of the RTP clock is re-anchored on the arrival clock', () => {
    const { timeline, push, times } = audioTimeline();
    run(push, 5_000_000, 0, 10);
    push(1_000, 200);
    expect(times().at(-1)).toBe(200);
    expect(timeline.arrivalCorrections).toBe(1);
  });

  test('dates time zero from the first sender report, else from the first arrival', () => {
    const { timeline, push } = audioTimeline();
    expect(timeline.originMs).toBeUndefined();
    push(48_000, 1_700_000_000_050);
    expect(timeline.originMs).toBe(1_700_000_000_050);
    // The report maps RTP time 96 000 (1 s after the first packet) to 1_700_000_001_000.
    timeline.senderReport(96_000, 1_700_000_001_000);
    expect(timeline.originMs).toBe(1_700_000_000_000);
  });

  test('timestampDistance is signed on the 32-bit circle', () => {
    expect(timestampDistance(2 ** 32 - 10, 5)).toBe(15);
    expect(timestampDistance(5, 2 ** 32 - 10)).toBe(-15);
  });
});
