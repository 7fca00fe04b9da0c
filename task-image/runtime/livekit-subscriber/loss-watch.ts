/**
 * Finds RTP losses that NACK did not repair. werift NACKs a gap for about 50 ms; a sequence number still
 * missing after `maxWaitMs` is gone for good, and the decoder-side of any recording needs a new key frame.
 * Checked on each arriving packet, so it needs no timer (with no packets there is nothing to repair).
 */

/** Options of a {@link LossWatch}. */
export interface LossWatchOptions {
  /** Milliseconds a missing sequence number may stay missing before it counts as lost. */
  readonly maxWaitMs: number;
  /** Gaps larger than this are a stream discontinuity and count as lost at once. */
  readonly maxGap: number;
  /** Runs when a loss is final; the watch then forgets every pending gap. */
  readonly onLoss: (lost: number) => void;
  readonly now?: () => number;
}

/** Tracks missing RTP sequence numbers of one SSRC. */
export class LossWatch {
  private highest: number | undefined;
  private readonly missing = new Map<number, number>();
  private readonly now: () => number;

  constructor(private readonly options: LossWatchOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Number of sequence numbers missing now. */
  get pending(): number {
    return this.missing.size;
  }

  /** Records one received sequence number. */
  packet(sequenceNumber: number): void {
    const now = this.now();
    if (this.highest === undefined) {
      this.highest = sequenceNumber;
      return;
    }
    // Signed 16-bit distance, so wrap-around at 65535 → 0 is a step of +1.
    const delta = ((sequenceNumber - this.highest + 0x8000) & 0xffff) - 0x8000;
    if (delta <= 0) {
      this.missing.delete(sequenceNumber);
    } else if (delta - 1 > this.options.maxGap) {
      this.highest = sequenceNumber;
      this.lost(delta - 1);
      return;
    } else {
      for (let i = 1; i < delta; i++) this.missing.set((this.highest + i) & 0xffff, now);
      this.highest = sequenceNumber;
    }
    this.check(now);
  }

  private check(now: number): void {
    let expired = 0;
    for (const since of this.missing.values()) if (now - since > this.options.maxWaitMs) expired++;
    if (expired > 0) this.lost(expired);
  }

  private lost(count: number): void {
    this.missing.clear();
    this.options.onLoss(count);
  }
}
