/**
 * The contract between a track's depacketizer and its container writer: whole frames (or Opus packets) on
 * the recording's timeline, written to an append-only output.
 */

/** The containers this module writes. */
export type ContainerKind = 'ogg' | 'webm' | 'mp4';

/** One frame of encoded media, as the publisher's encoder produced it. */
export interface MediaFrame {
  /** Timeline position in RTP clock units since the first packet (48 kHz for Opus, 90 kHz for video). */
  readonly time: number;
  readonly data: Uint8Array;
  /** Decodable on its own (always true for audio). */
  readonly keyFrame: boolean;
}

/**
 * Bytes that, written at `offset` of the finished file, give its header the duration (WebM `Duration`,
 * MP4 `mehd`) in place of a placeholder of the same size. Optional: the file plays without them.
 */
export interface HeaderPatch {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** Appends bytes to the recording; `media` marks chunks that carry media rather than headers only. */
export type ChunkOutput = (chunk: Uint8Array, media: boolean) => void;

/** A container writer: takes frames in timeline order and emits bytes that are playable after every chunk. */
export interface ContainerWriter {
  readonly kind: ContainerKind;
  /** Adds one frame. The first frame of a video track must be a key frame. */
  write(frame: MediaFrame): void;
  /**
   * Emits everything still buffered and the end-of-stream marker, if the container has one. `endTime`
   * (timeline ticks, a cut at the stop) is where the recording ends: a video writer shows its last frame
   * until then; audio, whose packets carry their own length, ends with its last packet.
   */
  finish(endTime?: number): void;
  /** Frames (Opus packets) written, including any filler. */
  readonly frames: number;
  /** Length of the recording on the container's own timeline, ms. */
  readonly durationMs: number;
  /** Pauses the writer filled itself (Ogg fills them with silence); 0 for writers that need not. */
  readonly gaps: number;
  /** After {@link finish}: the header's duration, for sinks that can write at an offset. */
  readonly headerPatch: HeaderPatch | undefined;
}
