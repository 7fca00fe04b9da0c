/**
 * Settings of the capture path, read from the task environment (documented in the README):
 *
 * | variable | meaning | default |
 * | --- | --- | --- |
 * | `EGRESS_CHROMIUM` | the Chromium binary | `/usr/bin/chromium` |
 * | `EGRESS_MAX_DURATION_SECONDS` | a composite egress longer than this ends LIMIT_REACHED, outputs finalised; 0 = no limit | 0 |
 * | `EGRESS_AUDIO_DELAY_MS` | how late the capture path delivers audio against video (negative: early); audio is moved by it | 77 |
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env['EGRESS_CHROMIUM'] ?? '/usr/bin/chromium';
}

/**
 * Measured end to end with the flash/beep publisher (WebRTC into Chromium, out through PulseAudio and
 * x11grab) once Chromium's lip sync has settled: audio reaches the capture about 77 ms after the matching
 * picture (within about ±20 ms between runs). In the first ~4 s Chromium is still converging: audio is
 * up to 225 ms later there.
 */
const defaultAudioDelayMs = 77;

/** Milliseconds audio is moved earlier to meet the video; a malformed value falls back to the default. */
export function audioDelayMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env['EGRESS_AUDIO_DELAY_MS'];
  const value = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(value) ? value : defaultAudioDelayMs;
}

/** The session limit in milliseconds, or undefined for none. */
export function maxDurationMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = Number(env['EGRESS_MAX_DURATION_SECONDS'] ?? '0');
  return Number.isFinite(value) && value > 0 ? value * 1000 : undefined;
}
