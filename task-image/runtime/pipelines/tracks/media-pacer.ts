import type { Writable } from 'node:stream';
import { EgressError } from '#domain/errors.ts';
import type { Logger } from '#shared/logger.ts';
import { pipedAudioChannels, pipedAudioRate } from '../../encoder/encoder-args.ts';

/** Options of one pacer. */
export interface MediaPacerOptions {
  readonly fps: number;
  /** The picture written until the first frame, and while the video track is missing or muted. */
  readonly black: Buffer;
  readonly logger: Logger;
  /**
   * How much later decoded audio comes out than decoded video of the same instant (the audio jitter
   * buffer holds more): pictures are held back by it, so both meet in the output. @default 0
   */
  readonly videoDelayMs?: number;
  /**
   * Both kinds are written this long after they are due (audio: after it arrived; pictures: after their
   * render time plus the video delay), so a picture decoded late — a lost packet sent again — still lands
   * at its own time instead of a frame or three after its sound. The first picture (of the track, or
   * after it was absent) is not held.
   * @default 0
   */
  readonly holdMs?: number;
  /** Milliseconds, monotonic. */
  readonly now?: () => number;
  /** Called once when the encoder falls so far behind that its input would grow without bound. */
  readonly onStall?: (err: EgressError) => void;
}

/** Where the paced media goes: the encoder's input pipes. */
export interface PacerSinks {
  readonly video?: Writable;
  readonly audio?: Writable;
}

const tickMs = 10;
/** Media written before the clock starts, to get the encoder's first bytes out. */
const primeMs = 100;
/** No audio for this long while the track is there counts as a gap and becomes silence (NetEq's pace). */
const audioGapMs = 100;
/** Audio may queue this far ahead of the clock (a burst after a stall); beyond, the oldest is dropped. */
const maxAudioAheadMs = 200;
/**
 * Audio that stays queued longer than this over a whole {@link levelWindowMs} (a burst after a stall,
 * after silence already filled the gap) is trimmed away, a little per tick, so the audio never falls
 * behind the picture for good.
 */
const targetQueuedMs = 2;
const levelWindowMs = 1_000;
/** At most this much is trimmed per tick: 2 ms in 10 ms. */
const maxTrimPerTick = (2 * pipedAudioRate) / 1000;
/** Input the encoder may leave unread before the egress fails: seconds of video, not gigabytes. */
const maxBacklogBytes = 256 * 1024 * 1024;
const bytesPerSample = 2 * pipedAudioChannels;

/**
 * Puts decoded audio and video onto one clock, the wall clock, so the output's timeline is the time that
 * passed: the encoder reads a constant frame rate (the latest picture at each frame time, black while
 * there is none) and exactly 48 000 samples a second (silence where the track is muted, missing, or has
 * stopped delivering). Samples that arrive early are kept for at most {@link maxAudioAheadMs}.
 */
export class MediaPacer {
  private readonly now: () => number;
  private startedAt: number | undefined;
  /** Media already written before the clock started. */
  private primedMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private sinks: PacerSinks = {};
  private picture: Buffer;
  /** Pictures not yet due (held back by the video delay), oldest first. */
  private readonly held: { readonly at: number; readonly picture: Buffer }[] = [];
  /** Whether a picture of the track was shown yet (the first one is not held). */
  private shownPicture = false;
  private framesWritten = 0;
  /** Audio that arrived but is still held, oldest first. */
  private readonly arriving: { readonly at: number; readonly samples: Int16Array }[] = [];
  private readonly queue: Int16Array[] = [];
  private queuedSamples = 0;
  private samplesWritten = 0;
  private lastAudioAt = Number.NEGATIVE_INFINITY;
  private audioPresent = false;
  private droppedSamples = 0;
  /** Lowest queue level (samples) seen at the end of a tick in the current window. */
  private windowMinQueued = Number.POSITIVE_INFINITY;
  private windowStartedAt = 0;
  private trimBudget = 0;
  private stalled = false;

  constructor(private readonly options: MediaPacerOptions) {
    this.now = options.now ?? (() => performance.now());
    this.picture = options.black;
  }

  /**
   * Writes the first {@link primeMs} of the timeline (what is there: black and silence until media comes)
   * so the encoder starts up and emits its first bytes; the clock starts with {@link start}, counting the
   * primed media as already due. Nothing runs until then, so the output's start is when its first bytes
   * came out, not when the encoder process was spawned.
   */
  prime(sinks: PacerSinks): void {
    if (this.primedMs > 0) return;
    this.sinks = sinks;
    this.primeMore();
  }

  /** Writes another {@link primeMs} before the clock starts (an encoder slow to start gets more input). */
  primeMore(): void {
    if (this.timer !== undefined) return;
    this.primedMs += primeMs;
    this.startedAt = this.now() - this.primedMs;
    this.writeVideo(this.primedMs);
    this.writeAudio(this.primedMs, true);
    this.startedAt = undefined;
  }

  /** Epoch ms of media time zero, once the clock started (the default clock is `performance.now()`). */
  get originMs(): number | undefined {
    if (this.startedAt === undefined) return undefined;
    return this.options.now === undefined ? performance.timeOrigin + this.startedAt : this.startedAt;
  }

  /** Starts the clock: from now on every tick writes what is due. */
  start(sinks?: PacerSinks): void {
    if (this.timer !== undefined) return;
    if (sinks !== undefined) this.sinks = sinks;
    this.startedAt = this.now() - this.primedMs;
    this.tick();
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  /** Interleaved stereo s16 at 48 kHz, as decoded. */
  pushAudio(samples: Int16Array): void {
    this.audioPresent = true;
    if ((this.options.holdMs ?? 0) <= 0) {
      this.enqueue(samples);
      return;
    }
    this.arriving.push({ at: this.now(), samples });
    // Bounded: a second of 10 ms frames at most (the hold is a fraction of a second).
    if (this.arriving.length > 100) this.arriving.shift();
  }

  /** The audio track is gone or muted: silence from now on, without waiting for the gap to show. */
  audioAbsent(): void {
    this.audioPresent = false;
  }

  /**
   * A new picture (a PGMYUV image), to be shown at `atMs` (default: now) plus the video delay; from then on
   * it is written at every frame time until the next one.
   */
  pushVideo(picture: Buffer, atMs = this.now()): void {
    this.held.push({ at: atMs, picture });
    // Bounded: a second of pictures at most (the delay is tens of milliseconds).
    if (this.held.length > 60) this.held.shift();
  }

  /** The video track is gone or muted: black until it is back. */
  videoAbsent(): void {
    this.held.length = 0;
    this.picture = this.options.black;
    this.shownPicture = false;
  }

  /** Stops the clock after writing what is due now. */
  stop(): void {
    if (this.timer === undefined) return;
    this.tick();
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.droppedSamples > 0) {
      this.options.logger.info('audio arriving ahead of the clock was dropped', {
        droppedMs: Math.round((this.droppedSamples * 1000) / pipedAudioRate),
      });
    }
  }

  /** Frames and samples (per channel) written so far. */
  get written(): { frames: number; samples: number } {
    return { frames: this.framesWritten, samples: this.samplesWritten };
  }

  private tick(): void {
    if (this.startedAt === undefined) return;
    const elapsedMs = this.now() - this.startedAt;
    this.writeVideo(elapsedMs);
    this.writeAudio(elapsedMs);
  }

  private writeVideo(elapsedMs: number): void {
    const sink = this.sinks.video;
    if (sink === undefined) return;
    const delayedBefore = this.now() - (this.options.videoDelayMs ?? 0);
    const dueBefore = delayedBefore - (this.options.holdMs ?? 0);
    const isDue = (at: number): boolean => at <= dueBefore || (!this.shownPicture && at <= delayedBefore);
    while (this.held.length > 0 && isDue(this.held[0]?.at ?? Infinity)) {
      const next = this.held.shift();
      if (next === undefined) break;
      this.picture = next.picture;
      this.shownPicture = true;
    }
    const due = Math.floor((elapsedMs * this.options.fps) / 1000) + 1;
    // Bounded: a clock jump writes at most one second of frames per tick.
    for (let i = 0; i < this.options.fps && this.framesWritten < due; i += 1) {
      sink.write(this.picture);
      this.framesWritten += 1;
    }
    this.checkBacklog(sink);
  }

  private writeAudio(elapsedMs: number, fill = false): void {
    const sink = this.sinks.audio;
    if (sink === undefined) return;
    this.releaseAudio();
    const due = Math.floor((elapsedMs * pipedAudioRate) / 1000);
    const maxQueued = due - this.samplesWritten + (maxAudioAheadMs * pipedAudioRate) / 1000;
    while (this.queuedSamples > maxQueued && this.queue.length > 0) this.dropOldest(this.queuedSamples - maxQueued);
    if (this.trimBudget > 0 && this.queuedSamples > 0) {
      const trim = Math.min(this.trimBudget, maxTrimPerTick, this.queuedSamples);
      this.trimBudget -= trim;
      this.dropOldest(trim);
    }
    const chunks: Buffer[] = [];
    let wanted = due - this.samplesWritten;
    while (wanted > 0 && this.queue.length > 0) {
      const taken = this.take(wanted);
      chunks.push(taken);
      wanted -= taken.length / bytesPerSample;
    }
    const gap = fill || !this.audioPresent || this.now() - this.lastAudioAt >= audioGapMs;
    if (wanted > 0 && gap) {
      chunks.push(Buffer.alloc(wanted * bytesPerSample));
      wanted = 0;
    }
    this.watchLevel(fill);
    const written = due - this.samplesWritten - wanted;
    if (written <= 0) return;
    this.samplesWritten += written;
    sink.write(chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks));
    this.checkBacklog(sink);
  }

  /** Keeps the queue short: what stayed queued for a whole window is trimmed over the next one. */
  private watchLevel(priming: boolean): void {
    if (priming) return;
    const now = this.now();
    this.windowMinQueued = Math.min(this.windowMinQueued, this.queuedSamples);
    if (now - this.windowStartedAt < levelWindowMs) return;
    const excess = this.windowMinQueued - (targetQueuedMs * pipedAudioRate) / 1000;
    if (excess > 0 && Number.isFinite(excess)) this.trimBudget += Math.floor(excess);
    this.windowMinQueued = Number.POSITIVE_INFINITY;
    this.windowStartedAt = now;
  }

  /** Held audio whose time has come joins the queue, as if it arrived now. */
  private releaseAudio(): void {
    const dueBefore = this.now() - (this.options.holdMs ?? 0);
    while (this.arriving.length > 0 && (this.arriving[0]?.at ?? Infinity) <= dueBefore) {
      const next = this.arriving.shift();
      if (next !== undefined) this.enqueue(next.samples);
    }
  }

  private enqueue(samples: Int16Array): void {
    this.lastAudioAt = this.now();
    this.queue.push(samples);
    this.queuedSamples += samples.length / pipedAudioChannels;
  }

  /** Up to `samples` samples from the head of the queue, as bytes. */
  private take(samples: number): Buffer {
    const head = this.queue[0];
    if (head === undefined) return Buffer.alloc(0);
    const headSamples = head.length / pipedAudioChannels;
    const n = Math.min(samples, headSamples);
    const bytes = Buffer.from(head.buffer, head.byteOffset, n * bytesPerSample);
    if (n === headSamples) this.queue.shift();
    else this.queue[0] = head.subarray(n * pipedAudioChannels);
    this.queuedSamples -= n;
    // A copy: the decoder may reuse the frame's memory once it is handed over.
    return Buffer.from(bytes);
  }

  private dropOldest(samples: number): void {
    const dropped = this.take(Math.ceil(samples)).length / bytesPerSample;
    this.droppedSamples += dropped;
  }

  private checkBacklog(sink: Writable): void {
    if (this.stalled || sink.writableLength <= maxBacklogBytes) return;
    this.stalled = true;
    this.options.onStall?.(
      new EgressError('internal', 'the encoder fell too far behind the media (CPU starved); recording stopped'),
    );
  }
}
