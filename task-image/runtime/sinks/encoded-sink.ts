import type { EgressError } from '#domain/errors.ts';
import type { InfoPatch } from '../pipelines/pipeline.ts';

/** How the encoded stream ended, for the outputs that cut it at the instant the stop was asked for. */
export interface StreamEnd {
  /** StopEgress: the PTS of the media captured when it was called; nothing after it belongs to the output. */
  readonly cutPts?: number;
}

/**
 * An output of a composite egress fed by the one encoder (encode once, fan out). What it reads is
 * MPEG-TS: whole 188-byte packets carrying H.264 video and/or AAC (or Opus/MP3) audio. The first chunk a
 * sink gets starts with the stream's PAT and PMT and, when there is video, at a video keyframe, so a sink
 * added while the egress runs (UpdateStream) starts clean.
 *
 * A sink never blocks the encoder or the other sinks: `write` returns at once; a sink that cannot keep up
 * buffers up to its own bound and then fails (reported through `onFailure`), and the fan-out drops it.
 */
export interface EncodedSink {
  /** For logs and errors; never holds a secret (stream keys are redacted). */
  readonly name: string;
  /** Appends MPEG-TS bytes (whole packets). Ignored after the sink failed or began to finish. */
  write(chunk: Buffer): void;
  /**
   * End of stream: flushes, finalises and uploads what the sink wrote, and resolves with its results for
   * the egress info (its own entries only: `fileResults`, `segmentResults`, its `streamResults` entry…).
   * A patch upserts: it replaces the entries it owns and leaves the others. Idempotent.
   */
  finish(end?: StreamEnd): Promise<InfoPatch>;
  /** Stops at once without finalising (the egress failed, or UpdateStream removed it). Idempotent. */
  abort(): Promise<void>;
  /** Called at most once, when the sink fails while running. */
  onFailure(listener: (err: EgressError) => void): void;
}
