/**
 * Takes the sender's capture jitter out of video frame times. A WebRTC sender stamps each frame with the
 * moment its capturer delivered it, so a 30 fps camera's frames arrive 24–43 ms apart rather than 33.3.
 * Written as they are, such times make tools guess an odd frame rate; ffmpeg 5.1 then maps two frames to
 * one tick of that rate and reports "non monotonically increasing dts", and a constant-rate transcode
 * drops and repeats frames. So each frame is moved to the nearest slot of the stream's frame grid (24, 25,
 * 30, 50 or 60 fps, whichever the recent intervals fit best; a 15 fps stream sits on the 30 fps grid), by
 * less than a period and never onto the slot of the frame before, so no two frames are written closer than
 * one period. One frame of look-ahead tells a late frame from an early one: when the next frame wants the
 * same slot, this one takes the slot before. The grid's phase is the first frame's and never moves (a
 * tool's own grid is anchored there: moving ours by half a period against it would make two frames share
 * a tick again); a first frame captured late only makes every frame a little later. A stream that fits no
 * grid keeps its times. Pauses and dropped frames stay: they are whole numbers of slots.
 */

/** Frame rates whose grid frames are moved to, largest period first (preferred when two fit equally). */
const rates = [24, 25, 30, 50, 60];
/** Frames the grid is chosen from. */
const windowSize = 30;
/** Phase concentration below which no grid fits (0: frames at random phases, 1: exactly on the grid). */
const minFit = 0.5;
/** Two grids whose fits differ by less than this fit equally (the larger period wins). */
const tie = 0.05;

/**
 * How well frames at `times` sit on a grid of `period`: the length of the mean of their phases as unit
 * vectors (circular statistics). Capture jitter of a tenth of a period keeps it above 0.8 (measured on
 * rtc-node senders: 0.81–1.00 per second of video); 30 frames of random phases stay under 0.5; frames of
 * another rate spread round the circle and bring it near 0. A few badly delayed frames lower it only a
 * little.
 */
export function gridFit(times: readonly number[], period: number): number {
  if (times.length === 0) return 0;
  let x = 0;
  let y = 0;
  for (const time of times) {
    const angle = (2 * Math.PI * (time % period)) / period;
    x += Math.cos(angle);
    y += Math.sin(angle);
  }
  return Math.hypot(x, y) / times.length;
}

/** The grid period that frames at `times` fit best, or undefined when none fits. */
export function chooseGrid(times: readonly number[], clockRate: number): number | undefined {
  let best: { period: number; fit: number } | undefined;
  for (const rate of rates) {
    const period = Math.round(clockRate / rate);
    const fit = gridFit(times, period);
    if (best === undefined || fit > best.fit + tie) best = { period, fit };
  }
  return best !== undefined && best.fit >= minFit ? best.period : undefined;
}

/** A frame with the time it is written at. */
export interface Timed<T> {
  readonly time: number;
  readonly item: T;
}

/** Places the frames of one video track on its frame grid, one frame behind. */
export class VideoCadence<T> {
  /** Grid period in clock ticks; until enough intervals are seen, the 30 fps grid (WebRTC's usual rate). */
  private period: number | undefined;
  /** Time of slot 0: the first frame's. The phase never moves, since tools anchor their own grid there. */
  private origin = 0;
  private lastSlot = 0;
  private lastOut: number | undefined;
  private pending: Timed<T> | undefined;
  private recent: number[] = [];
  /** Whether a window has fitted a grid yet. */
  private learned = false;

  constructor(private readonly clockRate: number) {
    this.period = Math.round(clockRate / 30);
  }

  /** The grid period in use, in clock ticks (undefined: times are kept as they are). */
  get gridPeriod(): number | undefined {
    return this.period;
  }

  /** Takes a frame at `time` (clock ticks, non-decreasing); returns the frame before it, placed. */
  place(time: number, item: T): Timed<T> | undefined {
    this.learn(time);
    const previous = this.pending;
    this.pending = { time, item };
    return previous === undefined ? undefined : this.emit(previous, time);
  }

  /** Returns the last frame, placed (end of the track). */
  flush(): Timed<T> | undefined {
    const last = this.pending;
    this.pending = undefined;
    return last === undefined ? undefined : this.emit(last, undefined);
  }

  private emit(frame: Timed<T>, nextTime: number | undefined): Timed<T> {
    const { period, lastOut } = this;
    if (lastOut === undefined || period === undefined) {
      return this.restart(frame, lastOut === undefined ? frame.time : Math.max(frame.time, lastOut + 1));
    }
    const slotOf = (time: number): number => Math.round((time - this.origin) / period);
    const at = (slot: number): number => Math.round(this.origin + slot * period);
    let slot = Math.max(slotOf(frame.time), this.lastSlot + 1);
    // The next frame wants this slot too: this one is a late frame, and the slot before is free.
    if (nextTime !== undefined && slotOf(nextTime) <= slot && slot - 1 > this.lastSlot) {
      if (frame.time - at(slot - 1) < 1.5 * period) slot--;
    }
    const lateness = frame.time - at(slot);
    // Far off the grid (frames faster than it, a burst): start it again here, a period after the last.
    if (lateness >= 1.5 * period || lateness < -period)
      return this.restart(frame, Math.max(frame.time, lastOut + period));
    this.lastSlot = slot;
    return this.done(frame, at(slot));
  }

  private restart(frame: Timed<T>, at: number): Timed<T> {
    this.origin = at;
    this.lastSlot = 0;
    return this.done(frame, at);
  }

  private done(frame: Timed<T>, time: number): Timed<T> {
    this.lastOut = time;
    return { time, item: frame.item };
  }

  private learn(time: number): void {
    this.recent.push(time);
    if (this.recent.length < windowSize) return;
    const chosen = chooseGrid(this.recent, this.clockRate);
    this.recent = [];
    // A stream that fitted a grid keeps it through a window that fits none: a busy machine (ours or the
    // sender's) delays frames for a while, the source's rate has not changed. Only a stream irregular from
    // its first window keeps raw times.
    const period = chosen ?? (this.learned ? this.period : undefined);
    if (chosen !== undefined) this.learned = true;
    if (period !== this.period) {
      this.period = period;
      // A new grid starts at the last written frame.
      if (this.lastOut !== undefined) this.origin = this.lastOut - this.lastSlot * (period ?? 0);
    }
  }
}
