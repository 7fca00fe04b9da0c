/**
 * Puts RTP packets back in sequence-number order. A hole waits a little for its packet (a NACK
 * retransmission arrives on the same SSRC, typically within 100 ms), then counts as lost; packets older
 * than what was already released (late retransmissions, duplicates) are dropped. Sequence numbers are
 * unwrapped at 65535 → 0. The first packets are held a moment (`startDelayMs`), so that a stream whose
 * first two packets arrive swapped does not lose its first one. Time is the packets' own arrival time, so the buffer needs no timer: a hole is
 * given up when a later packet arrives, or on {@link ReorderBuffer.flush}.
 */

/** Released in order: a packet, or a hole of `count` packets that will never arrive. */
export type Ordered<T> =
  | { readonly kind: 'packet'; readonly item: T; readonly arrivalMs: number }
  | { readonly kind: 'loss'; readonly count: number };

/** Options of a {@link ReorderBuffer}. */
export interface ReorderOptions {
  /** How long packets may wait behind a hole before the hole counts as lost, ms. @default 300 */
  readonly maxDelayMs?: number;
  /** Most packets held behind a hole; one more gives the hole up at once. @default 300 */
  readonly maxPackets?: number;
  /** How long the first packets are held before the first is released, ms. @default 60 */
  readonly startDelayMs?: number;
}

/** Counters of a {@link ReorderBuffer}. */
export interface ReorderStats {
  /** Packets dropped because their place was already released (late or duplicate). */
  readonly late: number;
  /** Sequence numbers that never arrived. */
  readonly lost: number;
  /** Jumps so large (over 1000 numbers either way) that the sequence was restarted. */
  readonly restarts: number;
}

/** A jump this large is a new sequence (publisher restart, SSRC change), not loss or reordering. */
const restartDistance = 1000;

/** Signed distance from `from` to `to` on the 16-bit circle, in −32768..32767. */
export function seqDistance(from: number, to: number): number {
  return ((((to - from) & 0xffff) + 0x8000) & 0xffff) - 0x8000;
}

/** Reorders one SSRC's packets; `emit` receives them (and holes) in sequence order. */
export class ReorderBuffer<T> {
  /** Unwrapped sequence number of the next packet to release; undefined until the start delay is over. */
  private next: number | undefined;
  /** Unwrapped number of the newest packet pushed: later numbers are placed nearest to it. */
  private newest: number | undefined;
  private startAt: number | undefined;
  private readonly held = new Map<number, { readonly item: T; readonly arrivalMs: number }>();
  private readonly maxDelayMs: number;
  private readonly maxPackets: number;
  private readonly startDelayMs: number;
  private counters = { late: 0, lost: 0, restarts: 0 };

  constructor(
    private readonly emit: (ordered: Ordered<T>) => void,
    options: ReorderOptions = {},
  ) {
    this.maxDelayMs = options.maxDelayMs ?? 300;
    this.maxPackets = options.maxPackets ?? 300;
    this.startDelayMs = options.startDelayMs ?? 60;
  }

  /** Counters since creation. */
  get stats(): ReorderStats {
    return { ...this.counters };
  }

  /** Packets waiting behind a hole. */
  get pending(): number {
    return this.held.size;
  }

  /** Adds one packet with its 16-bit sequence number and arrival time (ms, any monotonic origin). */
  push(sequenceNumber: number, item: T, arrivalMs: number): void {
    const newest = this.newest ?? sequenceNumber;
    const distance = seqDistance(newest % 0x10000, sequenceNumber);
    if (Math.abs(distance) > restartDistance) {
      this.restart(sequenceNumber, item, arrivalMs);
      return;
    }
    // Numbers are unwrapped (they keep counting past 65535): placed nearest to the newest one so far.
    const extended = newest + distance;
    this.newest = Math.max(newest, extended);
    this.startAt ??= arrivalMs;
    if ((this.next !== undefined && extended < this.next) || this.held.has(extended)) {
      this.counters.late++;
      return;
    }
    this.held.set(extended, { item, arrivalMs });
    if (this.next === undefined) {
      if (arrivalMs - this.startAt < this.startDelayMs && this.held.size <= this.maxPackets) return;
      this.next = Math.min(...this.held.keys());
    }
    this.release();
    this.giveUpHoles(arrivalMs);
  }

  /** Releases everything held, reporting the holes between as lost. */
  flush(): void {
    if (this.next === undefined && this.held.size > 0) this.next = Math.min(...this.held.keys());
    this.giveUpHoles(Number.POSITIVE_INFINITY);
  }

  private release(): void {
    if (this.next === undefined) return;
    for (let entry = this.held.get(this.next); entry !== undefined; entry = this.held.get(this.next)) {
      this.held.delete(this.next);
      this.next++;
      this.emit({ kind: 'packet', item: entry.item, arrivalMs: entry.arrivalMs });
    }
  }

  /** While a hole has kept packets waiting too long (or too many), skips it as lost. */
  private giveUpHoles(now: number): void {
    while (this.held.size > 0 && this.next !== undefined) {
      let first = Number.POSITIVE_INFINITY;
      let oldest = Number.POSITIVE_INFINITY;
      for (const [seq, entry] of this.held) {
        first = Math.min(first, seq);
        oldest = Math.min(oldest, entry.arrivalMs);
      }
      if (this.held.size <= this.maxPackets && now - oldest <= this.maxDelayMs) return;
      const lost = first - this.next;
      this.counters.lost += lost;
      this.emit({ kind: 'loss', count: lost });
      this.next = first;
      this.release();
    }
  }

  private restart(sequenceNumber: number, item: T, arrivalMs: number): void {
    this.flush();
    this.counters.restarts++;
    this.emit({ kind: 'loss', count: 0 });
    this.next = sequenceNumber;
    this.newest = sequenceNumber;
    this.held.set(sequenceNumber, { item, arrivalMs });
    this.release();
  }
}
