/**
 * Track recording without decoding: RTP in, a streamable container out (Opus → Ogg, VP8/VP9 → WebM,
 * H.264 → fragmented MP4). Entry point of the module: see {@link createTrackRecorder} and the README.
 */
export {
  createTrackRecorder,
  type RecordingStats,
  type RtpInput,
  type SenderReportInput,
  type TrackRecorder,
  type TrackRecorderOptions,
} from './track-recorder.ts';
export type { ByteSink } from './byte-sink.ts';
export { containerFor, type ContainerInfo, type RtpCodecInfo } from './codec-choice.ts';
export type { ContainerKind, HeaderPatch } from './container.ts';
export type { ReorderOptions } from './rtp-reorder.ts';
export {
  MuxerError,
  SinkBacklogError,
  SinkWriteError,
  UnsupportedCodecError,
  type MuxerErrorReason,
} from './errors.ts';
