import type { EncodedSink } from './encoded-sink.ts';

/** The one encoded stream's distribution point (encode once, fan out). */
export interface EncodedFanout {
  /** Adds a sink; its first chunk starts with PAT/PMT at the next video keyframe. */
  add(sink: EncodedSink): void;
  /** Removes a sink: no more writes to it. */
  remove(sink: EncodedSink): void;
}
