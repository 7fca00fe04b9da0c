import { describe, expect, test } from 'vitest';
import { ReorderBuffer, seqDistance, type Ordered } from './rtp-reorder.ts';

/** A buffer whose output is a compact trace: packet numbers, and `lost:n` for holes. */
function traced(options?: ConstructorParameters<typeof ReorderBuffer>[1]) {
  const out: (number | string)[] = [];
  const buffer = new ReorderBuffer<number>(
    (o: Ordered<number>) => {
      out.push(o.kind === 'packet' ? o.item : `lost:${o.count}`);
    },
    { startDelayMs: 0, ...options },
  );
  const push = (seqs: number[], at = 0): void => {
    for (const seq of seqs) buffer.push(seq, seq, at);
  };
  return { out, buffer, push };
}

describe('ReorderBuffer', () => {
  test('passes packets in order straight through, across the 65535 → 0 wrap', () => {
    const { out, buffer, push } = traced();
    push([65533, 65534, 65535, 0, 1, 2]);
    expect(out).toEqual([65533, 65534, 65535, 0, 1, 2]);
    expect(buffer.stats).toEqual({ late: 0, lost: 0, restarts: 0 });
  });

  test('puts reordered packets back in order, also across the wrap', () => {
    const { out, push } = traced();
    push([65534, 0, 65535, 2, 1]);
    expect(out).toEqual([65534, 65535, 0, 1, 2]);
  });

  test('drops duplicates and packets older than what was released', () => {
    const { out, buffer, push } = traced();
    push([10, 11, 11, 10, 13, 13, 12]);
    expect(out).toEqual([10, 11, 12, 13]);
    expect(buffer.stats.late).toBe(3);
  });

  test('waits for a retransmission up to maxDelayMs, then reports the hole as lost', () => {
    const { out, buffer } = traced({ maxDelayMs: 300 });
    buffer.push(1, 1, 0);
    buffer.push(3, 3, 10);
    buffer.push(4, 4, 200);
    expect(out).toEqual([1]);
    buffer.push(5, 5, 311); // packet 3 has now waited 301 ms
    expect(out).toEqual([1, 'lost:1', 3, 4, 5]);
    buffer.push(2, 2, 320); // the retransmission came too late
    expect(out).toEqual([1, 'lost:1', 3, 4, 5]);
    expect(buffer.stats).toEqual({ late: 1, lost: 1, restarts: 0 });
  });

  test('a retransmission in time fills the hole', () => {
    const { out, buffer } = traced({ maxDelayMs: 300 });
    buffer.push(1, 1, 0);
    buffer.push(3, 3, 10);
    buffer.push(2, 2, 120);
    expect(out).toEqual([1, 2, 3]);
    expect(buffer.stats.lost).toBe(0);
  });

  test('gives a hole up at once when more than maxPackets wait behind it', () => {
    const { out, push } = traced({ maxPackets: 3 });
    push([1, 4, 5, 6]);
    expect(out).toEqual([1]);
    push([7]);
    expect(out).toEqual([1, 'lost:2', 4, 5, 6, 7]);
  });

  test('flush releases everything held, with the holes', () => {
    const { out, buffer, push } = traced();
    push([1, 3, 6]);
    buffer.flush();
    expect(out).toEqual([1, 'lost:1', 3, 'lost:2', 6]);
    expect(buffer.pending).toBe(0);
  });

  test('a jump of more than 1000 numbers restarts the sequence instead of waiting', () => {
    const { out, buffer, push } = traced();
    push([100, 101, 40_000, 40_001]);
    expect(out).toEqual([100, 101, 'lost:0', 40_000, 40_001]);
    expect(buffer.stats.restarts).toBe(1);
  });

  test('holds the first packets for startDelayMs, so a swapped first pair keeps both', () => {
    const { out, buffer } = traced({ startDelayMs: 60 });
    buffer.push(501, 501, 0);
    buffer.push(500, 500, 5);
    buffer.push(502, 502, 40);
    expect(out).toEqual([]);
    buffer.push(503, 503, 61);
    expect(out).toEqual([500, 501, 502, 503]);
    expect(buffer.stats.late).toBe(0);
  });

  test('seqDistance is the signed distance on the 16-bit circle', () => {
    expect(seqDistance(65535, 0)).toBe(1);
    expect(seqDistance(0, 65535)).toBe(-1);
    expect(seqDistance(100, 100)).toBe(0);
    expect(seqDistance(0, 32767)).toBe(32767);
  });
});
