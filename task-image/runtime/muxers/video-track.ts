/**
 * The video half of a recorder: depacketized frames pass a key-frame gate, then are placed on the stream's
 * frame grid ({@link VideoCadence}) and written.
 * The file starts at a key frame; after a loss or an incomplete frame nothing is written until the next
 * key frame (a decoder could not show the frames in between without errors), and a key frame is asked for
 * at once and then every second until one arrives.
 */
import type { Logger } from '#shared/logger.ts';
import type { ContainerWriter, MediaFrame } from './container.ts';
import type { FrameEvents } from './frame-assembler.ts';
import { VideoCadence, type Timed } from './video-cadence.ts';

/** Counters of a {@link VideoTrack}. */
export interface VideoTrackStats {
  readonly droppedBeforeKeyFrame: number;
  readonly droppedAfterLoss: number;
  readonly keyFrameRequests: number;
  /** Holes in the written timeline: loss episodes and pauses of more than `pauseMs`. */
  readonly gaps: number;
}

/** Options of a {@link VideoTrack}. */
export interface VideoTrackOptions {
  readonly writer: ContainerWriter;
  /** Whether a key frame can start the file (H.264 also needs its SPS and PPS). @default always */
  readonly canStart?: () => boolean;
  readonly requestKeyFrame: () => void;
  /** Called with the timeline position of the first frame written: the file's time zero. */
  readonly onStart: (time: number) => void;
  readonly clockRate: number;
  readonly logger: Logger;
  readonly now: () => number;
  /** A jump between written frames longer than this counts as a gap, ms. @default 1000 */
  readonly pauseMs?: number;
}

/** While waiting for a key frame, the request is repeated this often. */
const retryMs = 1_000;
/** Requests closer together than this are merged (each is a PLI to the publisher). */
const minRequestGapMs = 250;

/** Gates one video track's frames on key frames and writes them; the depacketizer's {@link FrameEvents}. */
export class VideoTrack implements FrameEvents {
  private readonly cadence: VideoCadence<MediaFrame>;
  private waiting = true;
  private base: number | undefined;
  private lastTime = 0;
  /** The next written frame follows a loss already counted as a gap. */
  private resuming = false;
  private lastRequestAt = Number.NEGATIVE_INFINITY;
  private counters = { droppedBeforeKeyFrame: 0, droppedAfterLoss: 0, keyFrameRequests: 0, gaps: 0 };

  constructor(private readonly options: VideoTrackOptions) {
    this.cadence = new VideoCadence(options.clockRate);
  }

  get stats(): VideoTrackStats {
    return { ...this.counters };
  }

  /** Asks for the first key frame (the file can only start with one). */
  start(): void {
    this.request();
  }

  frame(frame: MediaFrame): void {
    if (this.waiting) {
      if (!frame.keyFrame || !(this.options.canStart?.() ?? true)) {
        if (this.base === undefined) this.counters.droppedBeforeKeyFrame++;
        else this.counters.droppedAfterLoss++;
        if (this.options.now() - this.lastRequestAt >= retryMs) this.request();
        return;
      }
      this.waiting = false;
    }
    if (this.base === undefined) {
      this.base = frame.time;
      this.options.onStart(frame.time);
    } else if (
      !this.resuming &&
      (frame.time - this.lastTime) * (1000 / this.options.clockRate) > (this.options.pauseMs ?? 1_000)
    ) {
      this.counters.gaps++;
    }
    this.resuming = false;
    this.lastTime = frame.time;
    this.write(this.cadence.place(frame.time - this.base, frame));
  }

  /** Writes the frame the cadence still holds (end of the track). */
  flush(): void {
    this.write(this.cadence.flush());
  }

  private write(placed: Timed<MediaFrame> | undefined): void {
    if (placed !== undefined) this.options.writer.write({ ...placed.item, time: placed.time });
  }

  broken(reason: string): void {
    if (this.base !== undefined && !this.waiting) {
      this.counters.gaps++;
      this.resuming = true;
      this.options.logger.debug('video frames lost, waiting for a key frame', { reason });
    }
    this.waiting = true;
    if (this.options.now() - this.lastRequestAt >= minRequestGapMs) this.request();
  }

  private request(): void {
    this.lastRequestAt = this.options.now();
    this.counters.keyFrameRequests++;
    this.options.requestKeyFrame();
  }
}
