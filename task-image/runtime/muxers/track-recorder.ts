/**
 * One track's RTP in, one streamable container file out, nothing decoded: packets are reordered, placed
 * on a gap-preserving timeline, depacketized into frames and written as Ogg (Opus), WebM (VP8, VP9) or
 * fragmented MP4 (H.264) to an append-only {@link ByteSink}.
 */
import type { EgressError } from '#domain/errors.ts';
import type { Logger } from '#shared/logger.ts';
import { SinkQueue, type ByteSink } from './byte-sink.ts';
import { chooseContainer, type ContainerChoice, type RtpCodecInfo } from './codec-choice.ts';
import type { ContainerKind, ContainerWriter, HeaderPatch } from './container.ts';
import type { Depacketizer } from './frame-assembler.ts';
import { HeldWriter } from './held-writer.ts';
import { ReorderBuffer, type ReorderOptions } from './rtp-reorder.ts';
import { RtpTimeline, type Placed } from './rtp-timeline.ts';
import { VideoTrack } from './video-track.ts';

/** What the recorder reads from an RTP packet (werift's `RtpPacket` has it). */
export interface RtpInput {
  readonly header: {
    readonly sequenceNumber: number;
    readonly timestamp: number;
    readonly marker: boolean;
    readonly payloadType: number;
  };
  readonly payload: Uint8Array;
}

/** What the recorder reads from an RTCP sender report (the subscriber's `SenderReport` has it). */
export interface SenderReportInput {
  readonly rtpTimestamp: number;
  /** The report's NTP time in Unix epoch ms. */
  readonly ntpMs: number;
}

/** Options of {@link createTrackRecorder}. */
export interface TrackRecorderOptions {
  /** The negotiated codec of the track (the subscriber's `SubscribedTrack.codec`). */
  readonly codec: RtpCodecInfo;
  readonly sink: ByteSink;
  readonly logger: Logger;
  /** Asks the publisher for a key frame (a PLI): at the start of video and after a loss. */
  readonly requestKeyFrame: () => void;
  /**
   * Runs once, when the sink has accepted the first bytes holding media: the egress is active then. With
   * a {@link stopHoldMs}, when the first frame is accepted for the file (its bytes follow after the hold),
   * with when that frame arrived (epoch ms): the file's zero, which a cut at the stop time is measured from.
   */
  readonly onFirstWrite?: (atMs: number) => void;
  /**
   * Frames wait this long before they are written, so that {@link TrackRecorder.finish} can cut the file
   * at a stop time the task learns of later (its control poll). 0: written at once, no cut. @default 0
   */
  readonly stopHoldMs?: number;
  /** Runs once, on the first sink failure; {@link TrackRecorder.finish} then rejects with the same error. */
  readonly onError?: (err: EgressError) => void;
  /** Longest Ogg page, WebM cluster or MP4 fragment, ms: what a crash can lose. @default 1000 */
  readonly fragmentMs?: number;
  /** Bytes waiting for a slow sink before the recording fails. @default 64 MiB */
  readonly maxPendingBytes?: number;
  /** How long and how many packets wait for a missing one. @default 300 ms, 300 packets */
  readonly reorder?: ReorderOptions;
  /** Clock for arrival times, epoch ms. @default Date.now */
  readonly now?: () => number;
  /**
   * How long {@link TrackRecorder.finish} with a cut waits for the media up to the cut, ms (real time).
   * @default the stop hold
   */
  readonly cutWaitMs?: number;
}

/** What a finished recording holds. */
export interface RecordingStats {
  readonly container: ContainerKind;
  /** Epoch ms of the file's time zero (its first frame): from RTCP sender reports, else arrival time. */
  readonly firstTimestampMs: number | undefined;
  /** Length on the container's own timeline, ms. */
  readonly durationMs: number;
  /** Bytes the sink accepted. */
  readonly bytes: number;
  /** Frames written (Opus: packets, including silence filling pauses). */
  readonly frames: number;
  /** Video frames dropped before the first key frame. */
  readonly droppedBeforeKeyFrame: number;
  /** Video frames dropped between a loss and the next key frame. */
  readonly droppedAfterLoss: number;
  /** Holes in the timeline: pauses (mute), lost audio, lost video up to the next key frame. */
  readonly gaps: number;
  /** RTP packets never received, and packets dropped as late or duplicate. */
  readonly lostPackets: number;
  readonly latePackets: number;
  /** Packets whose payload type was not the track's codec (ignored). */
  readonly foreignPackets: number;
  readonly keyFrameRequests: number;
  /**
   * Optional, for sinks that can write at an offset once the recording is complete (a local file): these
   * bytes at that offset put the duration in the header (WebM `Duration`, MP4 `mehd`) in place of a
   * placeholder of the same size. Streaming readers and ffprobe do not need it; some players show the
   * duration only with it. Undefined for Ogg (its pages carry the time) and for an empty recording.
   */
  readonly headerPatch: HeaderPatch | undefined;
}

/** How often a finish with a cut looks whether the media up to it has come, ms. */
const cutPollMs = 20;

/** Records one track. Create with {@link createTrackRecorder}. */
export interface TrackRecorder {
  readonly container: ContainerKind;
  /** File name extension with its dot: `.ogg`, `.webm` or `.mp4`. */
  readonly extension: string;
  /** Content type of the file, e.g. `audio/ogg`. */
  readonly contentType: string;
  /** Takes one RTP packet as received (any order; duplicates and late packets are dropped). */
  pushRtp(packet: RtpInput): void;
  /** Takes an RTCP sender report of the track, to date the recording's start. */
  pushSenderReport(report: SenderReportInput): void;
  /**
   * Writes what is buffered and the end of the stream, waits for the sink; idempotent. With `cutAtMs`
   * (epoch ms, a recorder with a stop hold) the file ends at that time: media past it is dropped, and packets
   * are still taken until the media up to it has come (at most `cutWaitMs`), so that a sender running behind
   * its clock does not leave the file short.
   */
  finish(options?: { readonly cutAtMs?: number }): Promise<RecordingStats>;
}

/**
 * Creates the recorder for `codec`: Opus → Ogg, VP8/VP9 → WebM, H.264 → fragmented MP4.
 * @throws UnsupportedCodecError for any other codec (RED, PCMU/PCMA, AV1…).
 */
export function createTrackRecorder(options: TrackRecorderOptions): TrackRecorder {
  return new Recorder(options, chooseContainer(options.codec));
}

class Recorder implements TrackRecorder {
  readonly container: ContainerKind;
  readonly extension: string;
  readonly contentType: string;
  private readonly queue: SinkQueue;
  private readonly writer: ContainerWriter;
  private readonly held: HeldWriter | undefined;
  private readonly video: VideoTrack | undefined;
  private readonly depacketizer: Depacketizer | undefined;
  private readonly reorder: ReorderBuffer<RtpInput>;
  private readonly timeline: RtpTimeline<RtpInput>;
  private readonly now: () => number;
  private started = false;
  /** Timeline position of the first frame written: the file's time zero. */
  private firstTime: number | undefined;
  private foreign = 0;
  private finishing: Promise<RecordingStats> | undefined;
  /** Set once no more packets are taken (finish, after any wait for the cut). */
  private closed = false;

  constructor(
    private readonly options: TrackRecorderOptions,
    choice: ContainerChoice,
  ) {
    const { codec, logger } = options;
    this.container = choice.kind;
    this.extension = choice.extension;
    this.contentType = choice.contentType;
    this.now = options.now ?? Date.now;
    const holdMs = options.stopHoldMs ?? 0;
    this.queue = new SinkQueue(options.sink, {
      maxPendingBytes: options.maxPendingBytes ?? 64 * 1024 * 1024,
      onFirstMedia: holdMs > 0 ? undefined : () => options.onFirstWrite?.(this.now()),
      onError: options.onError,
      logger,
    });
    const output = (chunk: Uint8Array, media: boolean): void => this.queue.write(chunk, media);
    const parts = choice.create({ output, fragmentMs: options.fragmentMs, codec });
    this.held =
      holdMs > 0
        ? new HeldWriter(parts.writer, {
            holdMs,
            clockRate: codec.clockRate,
            onFirstFrame: options.onFirstWrite,
            now: this.now,
          })
        : undefined;
    this.writer = this.held ?? parts.writer;
    if (parts.depacketizer !== undefined) {
      this.video = new VideoTrack({
        writer: this.writer,
        canStart: parts.canStart,
        requestKeyFrame: options.requestKeyFrame,
        onStart: (time) => (this.firstTime = time),
        clockRate: codec.clockRate,
        logger,
        now: this.now,
      });
      this.depacketizer = parts.depacketizer(this.video);
    }
    this.timeline = new RtpTimeline(
      (placed) => this.placed(placed),
      (packet) => packet.header.timestamp,
      { clockRate: codec.clockRate },
    );
    this.reorder = new ReorderBuffer((ordered) => this.timeline.push(ordered), options.reorder);
  }

  pushRtp(packet: RtpInput): void {
    if (this.closed) return;
    if (packet.header.payloadType !== this.options.codec.payloadType) {
      if (this.foreign++ === 0) {
        this.options.logger.warn('ignoring RTP packets of another payload type', {
          payloadType: packet.header.payloadType,
          expected: this.options.codec.payloadType,
        });
      }
      return;
    }
    if (!this.started) {
      this.started = true;
      this.video?.start();
    }
    this.reorder.push(packet.header.sequenceNumber, packet, this.now());
  }

  pushSenderReport(report: SenderReportInput): void {
    if (!this.closed) this.timeline.senderReport(report.rtpTimestamp, report.ntpMs);
  }

  finish(options: { readonly cutAtMs?: number } = {}): Promise<RecordingStats> {
    // Once: the session's stop path and a track-ended listener may both call it.
    this.finishing ??= this.drain(options.cutAtMs);
    return this.finishing;
  }

  private async drain(cutAtMs: number | undefined): Promise<RecordingStats> {
    if (cutAtMs !== undefined && this.held !== undefined) {
      this.held.cut(cutAtMs);
      await this.untilCutReached(this.held);
    }
    this.closed = true;
    this.reorder.flush();
    this.timeline.flush();
    this.depacketizer?.flush();
    this.video?.flush();
    this.writer.finish();
    const dropped = this.held?.droppedPastCut ?? 0;
    if (dropped > 0) this.options.logger.info('file cut at the stop time', { framesDropped: dropped });
    await this.queue.drain();
    return this.stats();
  }

  /** Waits, bounded, for the media up to the cut to come through the reorder buffer and the timeline. */
  private async untilCutReached(held: HeldWriter): Promise<void> {
    const waitMs = this.options.cutWaitMs ?? this.options.stopHoldMs ?? 0;
    const until = Date.now() + waitMs;
    while (!held.reachedCut && Date.now() < until) await new Promise((r) => setTimeout(r, cutPollMs));
    if (!held.reachedCut) this.options.logger.info('file cut before the media of the stop time came', { waitMs });
  }

  private placed(placed: Placed<RtpInput>): void {
    if (placed.kind === 'loss') {
      // Audio needs nothing: the next packet's timestamp leaves a pause, which the Ogg writer fills.
      this.depacketizer?.loss();
      return;
    }
    const packet = placed.item;
    // A frame is complete with its last packet: the one placed now.
    if (this.held !== undefined) this.held.arrivedMs = placed.arrivalMs;
    if (this.depacketizer !== undefined) {
      this.depacketizer.push(packet.payload, placed.time, packet.header.marker);
      return;
    }
    this.firstTime ??= placed.time;
    this.writer.write({ time: placed.time - this.firstTime, data: packet.payload, keyFrame: true });
  }

  private stats(): RecordingStats {
    const reorder = this.reorder.stats;
    const video = this.video?.stats;
    const origin = this.timeline.originMs;
    const msPerTick = 1000 / this.options.codec.clockRate;
    return {
      container: this.container,
      firstTimestampMs:
        origin === undefined || this.firstTime === undefined ? undefined : origin + this.firstTime * msPerTick,
      durationMs: this.writer.durationMs,
      bytes: this.queue.bytes,
      frames: this.writer.frames,
      droppedBeforeKeyFrame: video?.droppedBeforeKeyFrame ?? 0,
      droppedAfterLoss: video?.droppedAfterLoss ?? 0,
      gaps: (video?.gaps ?? 0) + this.writer.gaps,
      lostPackets: reorder.lost,
      latePackets: reorder.late,
      foreignPackets: this.foreign,
      keyFrameRequests: video?.keyFrameRequests ?? 0,
      headerPatch: this.writer.headerPatch,
    };
  }
}
