/**
 * A step of the recorder self-check failed. `process` names the program at fault (Xvfb, pulseaudio,
 * chromium, ffmpeg, ffprobe) when one is, so the log says which part of the image is broken.
 */
export class SelfCheckError extends Error {
  override readonly name = 'SelfCheckError';

  constructor(
    message: string,
    readonly process?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
