/**
 * VP8 or VP9 in WebM, streamable: the Segment and every Cluster have unknown size, so nothing is ever
 * patched and each SimpleBlock is appended as its frame arrives. A Cluster starts at every key frame and
 * at least once a second. Timestamps are in milliseconds (TimestampScale 1 000 000 ns); a pause in the
 * track is simply a jump in block timestamps. There is no SeekHead or Cues, and the Duration is a Void
 * element of the same size until the end: a sink that can write at an offset may put it there after the
 * recording ({@link WebmWriter.headerPatch}); players that read the blocks do not need it.
 */
import { randomInt } from 'node:crypto';
import type { ChunkOutput, ContainerWriter, HeaderPatch, MediaFrame } from './container.ts';
import { Id, durationElement, idBytes, master, sizeBytes, text, uint, unknownSize, voidElement } from './ebml.ts';

/** Options of a {@link WebmWriter}. */
export interface WebmWriterOptions {
  readonly output: ChunkOutput;
  readonly codecId: 'V_VP8' | 'V_VP9';
  /** RTP clock rate of the frames' timestamps. @default 90 000 */
  readonly clockRate?: number;
  /** Longest cluster, ms. @default 1000 */
  readonly clusterMs?: number;
  /** Reads width and height from a key frame, for the track header. */
  readonly frameSize: (keyFrame: Uint8Array) => { width: number; height: number } | undefined;
  /** Used when `frameSize` cannot tell (decoders take the size from the bitstream anyway). */
  readonly fallbackSize?: { readonly width: number; readonly height: number };
}

/** Longest gap between frames taken as the last frame's duration, ms. */
const maxFrameMs = 200;

/** Writes one video track as WebM. */
export class WebmWriter implements ContainerWriter {
  readonly kind = 'webm';
  private readonly msPerTick: number;
  private readonly clusterMs: number;
  private started = false;
  private clusterStart = 0;
  private lastMs = 0;
  private lastIntervalMs = 0;
  /** Where the recording ends when it was cut (ms on the block timeline): the last frame lasts until then. */
  private endMs: number | undefined;
  private count = 0;
  /** Where the Void element that stands in for the Duration starts. */
  private durationOffset: number | undefined;

  constructor(private readonly options: WebmWriterOptions) {
    this.msPerTick = 1000 / (options.clockRate ?? 90_000);
    this.clusterMs = options.clusterMs ?? 1_000;
  }

  readonly gaps = 0;

  get frames(): number {
    return this.count;
  }

  get durationMs(): number {
    if (this.count === 0) return 0;
    if (this.endMs !== undefined) return Math.max(this.lastMs + 1, this.endMs);
    return this.lastMs + Math.min(this.lastIntervalMs, maxFrameMs);
  }

  write(frame: MediaFrame): void {
    // Block timestamps strictly increase: frames whose times round to the same millisecond (or a reordered
    // one) go 1 ms after the one before, since demuxers reject equal timestamps in a video track.
    const rounded = Math.round(frame.time * this.msPerTick);
    const ms = this.count === 0 ? rounded : Math.max(rounded, this.lastMs + 1);
    if (!this.started) {
      this.started = true;
      this.options.output(this.header(frame.data), false);
      this.cluster(ms);
    } else if (frame.keyFrame || ms - this.clusterStart >= this.clusterMs) {
      this.cluster(ms);
    }
    if (this.count > 0) this.lastIntervalMs = ms - this.lastMs;
    this.lastMs = ms;
    this.count++;
    this.options.output(this.simpleBlock(ms - this.clusterStart, frame), true);
  }

  finish(endTime?: number): void {
    // Unknown-size elements end where the file ends: nothing to close. A cut's end is the Duration.
    if (endTime !== undefined) this.endMs = Math.round(endTime * this.msPerTick);
  }

  get headerPatch(): HeaderPatch | undefined {
    const offset = this.durationOffset;
    return offset === undefined ? undefined : { offset, bytes: durationElement(this.durationMs) };
  }

  private header(keyFrame: Uint8Array): Uint8Array {
    const size = this.options.frameSize(keyFrame) ?? this.options.fallbackSize ?? { width: 640, height: 360 };
    const ebml = master(Id.EBML, [
      uint(Id.EBMLVersion, 1),
      uint(Id.EBMLReadVersion, 1),
      uint(Id.EBMLMaxIDLength, 4),
      uint(Id.EBMLMaxSizeLength, 8),
      text(Id.DocType, 'webm'),
      uint(Id.DocTypeVersion, 4),
      uint(Id.DocTypeReadVersion, 2),
    ]);
    const info = master(Id.Info, [
      uint(Id.TimestampScale, 1_000_000),
      text(Id.MuxingApp, 'universal-egress'),
      text(Id.WritingApp, 'universal-egress'),
      voidElement(11), // the Duration's place
    ]);
    const tracks = master(Id.Tracks, [
      master(Id.TrackEntry, [
        uint(Id.TrackNumber, 1),
        uint(Id.TrackUID, randomInt(1, 2 ** 47)),
        uint(Id.TrackType, 1), // video
        uint(Id.FlagLacing, 0),
        text(Id.CodecID, this.options.codecId),
        master(Id.Video, [uint(Id.PixelWidth, size.width), uint(Id.PixelHeight, size.height)]),
      ]),
    ]);
    const segment = new Uint8Array([...idBytes(Id.Segment), ...unknownSize]);
    this.durationOffset = ebml.length + segment.length + info.length - 11;
    const out = new Uint8Array(ebml.length + segment.length + info.length + tracks.length);
    let offset = 0;
    for (const part of [ebml, segment, info, tracks]) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  /** Starts a cluster at `ms`; it holds blocks up to 32.767 s after its timestamp. */
  private cluster(ms: number): void {
    this.clusterStart = ms;
    const head = new Uint8Array([...idBytes(Id.Cluster), ...unknownSize, ...uint(Id.Timestamp, ms)]);
    this.options.output(head, false);
  }

  /** A SimpleBlock element, built in one allocation (frames are the bulk of the bytes). */
  private simpleBlock(relativeMs: number, frame: MediaFrame): Uint8Array {
    const size = sizeBytes(4 + frame.data.length);
    const block = new Uint8Array(1 + size.length + 4 + frame.data.length);
    block[0] = Id.SimpleBlock;
    block.set(size, 1);
    const at = 1 + size.length;
    block[at] = 0x81; // track number 1 as a variable-length integer
    block[at + 1] = (relativeMs >> 8) & 0xff;
    block[at + 2] = relativeMs & 0xff;
    block[at + 3] = frame.keyFrame ? 0x80 : 0x00;
    block.set(frame.data, at + 4);
    return block;
  }
}
