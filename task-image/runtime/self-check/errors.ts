/**
 * A step of the recorder self-check failed: the capture stack's own error, so a failing Xvfb, pulseaudio,
 * chromium, ffmpeg or ffprobe is named the same way in the self-check and in a real egress.
 */
export { CaptureError as SelfCheckError } from '../capture/capture-error.ts';
