/** Base class of every error the media test bench throws, so a test can tell a bench fault from its subject's. */
export class BenchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A synthetic publisher or subscriber could not join, publish or change a track. */
export class RtcBenchError extends BenchError {}

/** The WebSocket receiver failed, or a wait on it timed out. */
export class WsReceiverError extends BenchError {}

/** ffmpeg/ffprobe failed or a media file could not be analysed; `tool` names the failing process. */
export class MediaCheckError extends BenchError {
  readonly tool: string;
  constructor(tool: string, message: string, options?: ErrorOptions) {
    super(`${tool}: ${message}`, options);
    this.tool = tool;
  }
}
