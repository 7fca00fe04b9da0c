/**
 * A step of the capture stack (Xvfb, PulseAudio, Chromium, ffmpeg) failed. `process` names the program at
 * fault when one is, so the log and the egress error say which part broke.
 */
export class CaptureError extends Error {
  override readonly name: string = 'CaptureError';

  constructor(
    message: string,
    readonly process?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
