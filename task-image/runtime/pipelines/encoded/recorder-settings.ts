/**
 * Settings of the transcoding recorders (composite capture path, track composite), read from the task
 * environment (documented in the README):
 *
 * | variable | meaning | default |
 * | --- | --- | --- |
 * | `EGRESS_CHROMIUM` | the Chromium binary | `/usr/bin/chromium` |
 * | `EGRESS_MAX_DURATION_SECONDS` | a transcoding egress longer than this ends LIMIT_REACHED, outputs finalised; 0 = no limit | 0 |
 * | `EGRESS_AUDIO_DELAY_MS` | how late the capture path delivers audio against video (negative: early); audio is moved by it | 67 |
 * | `EGRESS_TRACK_AUDIO_DELAY_MS` | how late rtc-node delivers decoded audio against decoded video (track composite); video is held back by it | 0 |
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env['EGRESS_CHROMIUM'] ?? '/usr/bin/chromium';
}

/**
 * Measured end to end with the flash/beep publisher (WebRTC into Chromium, out through PulseAudio and
 * x11grab), the audio dated by the arrival of its first pulse fragment, Chromium's audio output in 2048-frame
 * buffers: over 6 grid runs at 77 the settled offset sat at −10 ms on average (−36…+8), so 67 (3 runs at 67:
 * −13, −11, and one whose video phase slid mid-run, −7 → +40). Within a run the audio is steady to a few ms;
 * the video is quantised by x11grab's 30 fps phase against Chromium's paint (0–33 ms, a constant of the run
 * that can slide by a frame). In the first ~3 s audio is early while the jitter buffers fill to the
 * template's target.
 */
const defaultAudioDelayMs = 67;

/** Milliseconds audio is moved earlier to meet the video; a malformed value falls back to the default. */
export function audioDelayMs(env: NodeJS.ProcessEnv = process.env): number {
  return numberSetting(env['EGRESS_AUDIO_DELAY_MS']) ?? defaultAudioDelayMs;
}

/** A numeric setting, undefined when unset or malformed. */
function numberSetting(raw: string | undefined): number | undefined {
  const value = raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

/**
 * Measured with the flash/beep publisher on loopback (track composite, rtc-node decode), against each
 * frame's render time (libwebrtc's, which already holds the video jitter buffer's delay). With the publisher
 * sharing the test's busy process, a beep came out of the audio jitter buffer 25–38 ms after its flash for
 * H.264 and −23…+25 ms for VP8, and 15 ms was the middle. A publisher on a steady clock of its own (its own
 * process at a higher priority, as a remote client is) put the audio earlier: with 15 ms, run medians of
 * −33, −15, −5, −32 (VP8) and +5, −32, −32 ms (H.264), and −56/−50 in a CI run; with 0, −21, −13 (VP8) and
 * −9, −9 ms (H.264). The jitter buffer's delay, which rtc-node does not report, still differs between runs.
 */
const defaultTrackAudioDelayMs = 0;

/** Milliseconds decoded pictures are held back to meet decoded audio; malformed or negative: the default. */
export function trackAudioDelayMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = numberSetting(env['EGRESS_TRACK_AUDIO_DELAY_MS']);
  return value !== undefined && value >= 0 ? value : defaultTrackAudioDelayMs;
}

/** The session limit in milliseconds, or undefined for none. */
export function maxDurationMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = Number(env['EGRESS_MAX_DURATION_SECONDS'] ?? '0');
  return Number.isFinite(value) && value > 0 ? value * 1000 : undefined;
}
