import { ptsDistance } from './ts-packets.ts';

/** Ticks of the MPEG-TS clock per millisecond. */
const ticksPerMs = 90;

/**
 * Where the encoder's media time sits on the wall clock: the epoch ms of the media at `firstPts` (the first
 * PES of the stream). Undefined while the source cannot tell yet.
 */
export type MediaOrigin = (firstPts: number) => number | undefined;

/** Something waiting for every elementary stream to reach a PTS. */
interface Waiter {
  readonly pts: number;
  readonly resolve: (reached: boolean) => void;
}

/**
 * The encoded stream's media time, from the PES timestamps the fan-out sees, mapped onto the wall clock:
 * what lets an output be cut at the instant StopEgress was called rather than when the task learnt of it,
 * and report when its first sample was captured.
 */
export class TsTimeline {
  private first: number | undefined;
  private readonly latest = new Map<number, number>();
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly origin: MediaOrigin) {}

  /** A PES of elementary stream `pid` starts with `pts`. */
  observe(pid: number, pts: number): void {
    this.first ??= pts;
    const previous = this.latest.get(pid);
    if (previous === undefined || ptsDistance(previous, pts) > 0) this.latest.set(pid, pts);
    for (const waiter of this.waiters) {
      if (this.reachedBy(waiter.pts)) {
        this.waiters.delete(waiter);
        waiter.resolve(true);
      }
    }
  }

  /** Epoch ms of the media at `pts`, once the origin is known. */
  wallMsAt(pts: number): number | undefined {
    const anchor = this.anchor();
    return anchor === undefined ? undefined : anchor.originMs + ptsDistance(anchor.firstPts, pts) / ticksPerMs;
  }

  /** The PTS of the media captured at `wallMs` (epoch), once the origin is known. */
  ptsAt(wallMs: number): number | undefined {
    const anchor = this.anchor();
    return anchor === undefined ? undefined : anchor.firstPts + Math.round((wallMs - anchor.originMs) * ticksPerMs);
  }

  /** The first PES's PTS and the epoch ms of its media, once both are known. */
  private anchor(): { firstPts: number; originMs: number } | undefined {
    const firstPts = this.first;
    const originMs = firstPts === undefined ? undefined : this.origin(firstPts);
    return firstPts === undefined || originMs === undefined ? undefined : { firstPts, originMs };
  }

  /**
   * Resolves true once every elementary stream seen has a PES at or after `pts`, false after `timeoutMs`
   * (an encoder that ended or stalled): the outputs then hold all the media up to a cut at `pts`.
   */
  reached(pts: number, timeoutMs: number): Promise<boolean> {
    if (this.reachedBy(pts)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      const waiter: Waiter = {
        pts,
        resolve: (reached) => {
          clearTimeout(timer);
          resolve(reached);
        },
      };
      this.waiters.add(waiter);
    });
  }

  private reachedBy(pts: number): boolean {
    if (this.latest.size === 0) return false;
    for (const latest of this.latest.values()) if (ptsDistance(pts, latest) < 0) return false;
    return true;
  }
}
