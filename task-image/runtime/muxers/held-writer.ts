import type { ContainerKind, ContainerWriter, HeaderPatch, MediaFrame } from './container.ts';

/** Options of {@link HeldWriter}. */
export interface HeldWriterOptions {
  /** How long a frame waits before it is written, ms: longer than a stop takes to reach the task. */
  readonly holdMs: number;
  /** RTP clock rate of the frames' `time`. */
  readonly clockRate: number;
  /**
   * Runs once, when the first frame is accepted (its bytes reach the sink `holdMs` later), with when it
   * arrived (epoch ms): the file's zero, which the cut is measured from.
   */
  readonly onFirstFrame?: (arrivedMs: number) => void;
  /** Clock, epoch ms. @default Date.now */
  readonly now?: () => number;
  /** How often held frames are released when none arrive, ms. @default 50 */
  readonly releaseEveryMs?: number;
}

interface Held {
  readonly frame: MediaFrame;
  readonly arrivedMs: number;
}

/**
 * Holds frames for a short while before the container writer gets them, so that a stop asked for at a
 * known time can cut the file there although the task learns of it later (its control poll): frames past
 * the stop time are still held when the stop arrives, and are dropped. The cut is on the file's own
 * timeline: the first frame's arrival is the file's zero, so the stop time maps to a media time.
 */
export class HeldWriter implements ContainerWriter {
  private readonly held: Held[] = [];
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout;
  private firstArrivalMs: number | undefined;
  private cutTime: number | undefined;
  private dropped = 0;
  /** Time between the last two frames, ticks: how long the last frame written will last. */
  private interval = 0;
  private lastTime: number | undefined;

  constructor(
    private readonly inner: ContainerWriter,
    private readonly options: HeldWriterOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.timer = setInterval(() => this.release(this.now() - options.holdMs), options.releaseEveryMs ?? 50);
    this.timer.unref();
  }

  get kind(): ContainerKind {
    return this.inner.kind;
  }

  get frames(): number {
    return this.inner.frames;
  }

  get durationMs(): number {
    return this.inner.durationMs;
  }

  get gaps(): number {
    return this.inner.gaps;
  }

  get headerPatch(): HeaderPatch | undefined {
    return this.inner.headerPatch;
  }

  /** Frames dropped because they lay past the cut. */
  get droppedPastCut(): number {
    return this.dropped;
  }

  /**
   * Whether the media up to the cut has arrived. Audio: a packet that ends at or past it came (a sender that
   * fell behind its clock, e.g. skipped sound after a stall, sends the media of the stop time later than the
   * stop). Video: any frame does, because the last one before the cut is shown until it.
   */
  get reachedCut(): boolean {
    if (this.cutTime === undefined || this.lastTime === undefined) return false;
    return this.inner.kind !== 'ogg' || this.lastTime + this.interval >= this.cutTime;
  }

  /**
   * When the media being written arrived (epoch ms), if the caller knows: its first frame's arrival, not the
   * moment a reorder buffer let it go, is the file's zero. Otherwise the clock's time of the write.
   */
  arrivedMs: number | undefined;

  write(frame: MediaFrame): void {
    const now = this.now();
    if (this.firstArrivalMs === undefined) {
      this.firstArrivalMs = Math.min(this.arrivedMs ?? now, now);
      this.options.onFirstFrame?.(this.firstArrivalMs);
    }
    // A pause (mute, loss) is not a frame's length: intervals over a second are not taken.
    const step = this.lastTime === undefined ? 0 : frame.time - this.lastTime;
    if (step > 0 && step <= this.options.clockRate) this.interval = step;
    this.lastTime = frame.time;
    this.held.push({ frame, arrivedMs: now });
    this.release(now - this.options.holdMs);
  }

  /**
   * Ends the file at `atMs` (epoch ms): held frames that would last past that point of the timeline are
   * dropped, and so is anything written after. A time before the first frame keeps nothing held; frames already
   * written (a stop that arrived later than the hold) stay.
   */
  cut(atMs: number): void {
    if (this.firstArrivalMs === undefined) return;
    this.cutTime = Math.max(0, ((atMs - this.firstArrivalMs) * this.options.clockRate) / 1000);
  }

  finish(): void {
    clearInterval(this.timer);
    this.release(Number.POSITIVE_INFINITY);
    this.inner.finish(this.cutTime);
  }

  /**
   * Audio packets last their own length: one is kept only if it ends by the cut. A video frame is what the
   * picture shows until the next: it is kept if it starts before the cut, and the writer makes the last one
   * last until the cut.
   */
  private pastCut(time: number, cutTime: number): boolean {
    return this.inner.kind === 'ogg' ? time + this.interval > cutTime : time >= cutTime;
  }

  private release(arrivedBy: number): void {
    while (this.held.length > 0) {
      const next = this.held[0];
      if (next === undefined || next.arrivedMs > arrivedBy) return;
      this.held.shift();
      if (this.cutTime !== undefined && this.pastCut(next.frame.time, this.cutTime)) this.dropped += 1;
      else this.inner.write(next.frame);
    }
  }
}
