/**
 * One playout delay for every receiver. LiveKit names a stream per track (unless its server sets
 * `room.sync_streams`), so Chromium plays a participant's audio and video from two jitter buffers that
 * do not wait for each other: audio started up to ~350 ms late while its buffer drained a start-up
 * backlog, and video fell later and later when decoding slowed (−143 ms after 30 s in one CI run). A
 * recording can afford to hold both kinds for the same time, whatever the server's setting. Measured on
 * the grid test: 300 ms still let a run settle 100 ms apart; 500 ms settled within ±30 ms in 4 of 4 runs,
 * with video later than audio in the first second while its buffer fills. (Rewriting the offers into
 * LiveKit's sync groups brought the late start back: Chromium's synchroniser converges at ~80 ms/s.)
 */

/** Milliseconds every receiver holds media before playing it (RTCRtpReceiver.jitterBufferTarget). */
export const playoutDelayMs = 500;

/** Applies the common playout delay to a receiver (no-op where the browser lacks the attribute). */
export function holdPlayout(receiver: RTCRtpReceiver | undefined): void {
  if (receiver !== undefined && 'jitterBufferTarget' in receiver) receiver.jitterBufferTarget = playoutDelayMs;
}
