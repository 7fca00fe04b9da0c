/**
 * Places in-order RTP packets on the recording's timeline, in RTP clock units from the first packet.
 *
 * RTP timestamps are the truth: they are unwrapped across 2^32, and a pause (mute, loss) stays a pause,
 * because the sender's clock keeps running while nothing is sent (measured with rtc-node publishers behind
 * livekit-server 1.13.5: a 10 s audio or video mute advances the timestamps by 10 s ± 30 ms). A sender
 * whose clock does NOT run across a pause would squeeze the pause out; that case is caught by comparing
 * with the arrival clock: when packets resume after a pause of more than `pauseMs` and the RTP clock
 * advanced by less than the arrival clock, the packets of the next `confirmMs` are held back and the
 * smallest excess of arrival over RTP time among them (relative to the usual network delay) is added to the
 * timeline. Taking the smallest keeps a stall of this process (packets queued, then delivered in a burst
 * with their true timestamps) from being mistaken for a frozen sender clock. Jumps of the RTP clock that no
 * pause explains (backwards by more than 1 s, forwards by 5 s more than arrival time) are re-anchored on the
 * arrival clock at once.
 */
import type { Ordered } from './rtp-reorder.ts';

/** A packet with its timeline position (RTP clock units since the first packet), or a hole. */
export type Placed<T> =
  | { readonly kind: 'packet'; readonly item: T; readonly time: number; readonly arrivalMs: number }
  | { readonly kind: 'loss'; readonly count: number };

/** Options of an {@link RtpTimeline}. */
export interface RtpTimelineOptions {
  /** RTP clock rate of the track (48 000 for Opus, 90 000 for video). */
  readonly clockRate: number;
  /** Arrival pauses longer than this are checked against the RTP clock, ms. @default 1000 */
  readonly pauseMs?: number;
  /** How far the RTP clock may fall behind arrival time over a pause before arrival time wins, ms. @default 300 */
  readonly toleranceMs?: number;
  /**
   * How long packets after a suspicious pause are held to tell a frozen clock from a stall, ms: long enough
   * that one timely packet among them shows the usual delay even when the task stalled for a moment (over
   * 500 ms, a 70 ms stall of a loaded machine once lengthened a mute by 70 ms). @default 2000
   */
  readonly confirmMs?: number;
}

/** Length of one window of the network-delay estimate, ms. */
const delayWindowMs = 5_000;
const maxBackwardMs = 1_000;
const maxForwardMs = 5_000;

/** Signed difference `to − from` of two 32-bit RTP timestamps. */
export function timestampDistance(from: number, to: number): number {
  return (to - from) | 0;
}

/** A hole, or a packet with its timeline position before any correction, held while a pause is checked. */
type Held<T> =
  | { readonly kind: 'loss'; readonly count: number }
  | { readonly kind: 'packet'; readonly item: T; readonly arrivalMs: number; readonly raw: number };

/** Maps one SSRC's RTP timestamps to a gap-preserving timeline. */
export class RtpTimeline<T> {
  private last: { timestamp: number; time: number; arrivalMs: number } | undefined;
  private firstArrivalMs: number | undefined;
  private reportOriginMs: number | undefined;
  /** Minimum of arrival − RTP time (the network delay plus a constant) over this and the last window. */
  private delay = { current: Number.POSITIVE_INFINITY, previous: Number.POSITIVE_INFINITY, windowStart: 0 };
  private held: Held<T>[] = [];
  private heldSince = 0;
  private corrections = 0;
  private readonly msPerTick: number;

  constructor(
    private readonly emit: (placed: Placed<T>) => void,
    /** Reads the 32-bit RTP timestamp of an item. */
    private readonly timestampOf: (item: T) => number,
    private readonly options: RtpTimelineOptions,
  ) {
    this.msPerTick = 1000 / options.clockRate;
  }

  /** How many times arrival time had to replace the RTP clock. */
  get arrivalCorrections(): number {
    return this.corrections;
  }

  /**
   * Epoch ms of timeline position 0: from the first RTCP sender report when one arrived, else the arrival
   * time of the first packet. Undefined before the first packet.
   */
  get originMs(): number | undefined {
    return this.reportOriginMs ?? this.firstArrivalMs;
  }

  /** Takes the next in-order packet or hole; `arrivalMs` must be epoch ms for {@link originMs}. */
  push(ordered: Ordered<T>): void {
    if (ordered.kind === 'loss') {
      if (this.held.length > 0) this.held.push(ordered);
      else this.emit(ordered);
      return;
    }
    const { item, arrivalMs } = ordered;
    const last = this.last;
    if (last === undefined) {
      this.firstArrivalMs = arrivalMs;
      this.place(item, 0, arrivalMs);
      return;
    }
    let time = last.time + timestampDistance(last.timestamp, this.timestampOf(item));
    if (this.held.length > 0) {
      this.held.push({ kind: 'packet', item, arrivalMs, raw: time });
      this.last = { timestamp: this.timestampOf(item), time, arrivalMs };
      if (arrivalMs - this.heldSince >= (this.options.confirmMs ?? 2_000)) this.resolve();
      return;
    }
    const rtpMs = (time - last.time) * this.msPerTick;
    const arrivedMs = arrivalMs - last.arrivalMs;
    if (rtpMs < -maxBackwardMs || rtpMs > arrivedMs + maxForwardMs) {
      // The sender's clock jumped: continue from the last packet by the arrival clock.
      this.corrections++;
      time = last.time + Math.round(Math.max(arrivedMs, 0) / this.msPerTick);
    } else if (arrivedMs > (this.options.pauseMs ?? 1_000) && rtpMs < arrivedMs - this.tolerance()) {
      this.held.push({ kind: 'packet', item, arrivalMs, raw: time });
      this.heldSince = arrivalMs;
      this.last = { timestamp: this.timestampOf(item), time, arrivalMs };
      return;
    }
    this.place(item, time, arrivalMs);
  }

  /** Maps a sender report's RTP time to wall clock: the first one after the first packet sets the origin. */
  senderReport(rtpTimestamp: number, ntpMs: number): void {
    if (this.last === undefined || this.reportOriginMs !== undefined) return;
    const time = this.last.time + timestampDistance(this.last.timestamp, rtpTimestamp);
    this.reportOriginMs = ntpMs - time * this.msPerTick;
  }

  /** Releases held packets (end of the recording), deciding with what arrived so far. */
  flush(): void {
    if (this.held.length > 0) this.resolve();
  }

  private tolerance(): number {
    return this.options.toleranceMs ?? 300;
  }

  private place(item: T, time: number, arrivalMs: number): void {
    this.last = { timestamp: this.timestampOf(item), time, arrivalMs };
    this.trackDelay(arrivalMs - time * this.msPerTick, arrivalMs);
    this.emit({ kind: 'packet', item, time, arrivalMs });
  }

  private trackDelay(delayMs: number, arrivalMs: number): void {
    if (arrivalMs - this.delay.windowStart > delayWindowMs) {
      this.delay = { current: Number.POSITIVE_INFINITY, previous: this.delay.current, windowStart: arrivalMs };
    }
    this.delay.current = Math.min(this.delay.current, delayMs);
  }

  /** Decides whether the held packets' RTP clock froze over the pause, and emits them shifted or not. */
  private resolve(): void {
    const held = this.held;
    this.held = [];
    const usual = Math.min(this.delay.current, this.delay.previous);
    let excessMs = Number.POSITIVE_INFINITY;
    for (const entry of held) {
      if (entry.kind === 'packet') excessMs = Math.min(excessMs, entry.arrivalMs - entry.raw * this.msPerTick - usual);
    }
    const shift = Number.isFinite(excessMs) && excessMs > this.tolerance() ? Math.round(excessMs / this.msPerTick) : 0;
    if (shift !== 0) this.corrections++;
    for (const entry of held) {
      if (entry.kind === 'loss') this.emit(entry);
      else this.place(entry.item, entry.raw + shift, entry.arrivalMs);
    }
  }
}
