/**
 * When the page tells the recorder to start. Unlike LiveKit's default template (which never starts in an
 * empty room), this one always starts, and soon: the recording should not lose its first seconds.
 */

/** What the start rule looks at, sampled every {@link startPollMs}. */
export interface StartState {
  /** Milliseconds since the room connected. */
  readonly elapsedMs: number;
  /** Unmuted video publications of shown sources that are not subscribed yet. */
  readonly pendingSubscriptions: number;
  /** Videos drawn on the page that should have a picture. */
  readonly shownVideos: number;
  /** Of those, how many have rendered a first frame. */
  readonly renderedVideos: number;
}

/** How often the start rule is checked until it fires (a timer, not per-frame work). */
export const startPollMs = 100;
/** With no video to wait for, start this long after connecting (subscriptions land in the meantime). */
export const noVideoStartMs = 500;
/** Start at the latest this long after connecting, whatever is still loading. */
export const maxStartWaitMs = 3_000;

/**
 * Starts when every shown video has a first frame and no subscription is pending; with nothing to show,
 * {@link noVideoStartMs} after connecting; and in any case after {@link maxStartWaitMs}.
 */
export function shouldStart(state: StartState): boolean {
  if (state.elapsedMs >= maxStartWaitMs) return true;
  if (state.pendingSubscriptions > 0) return false;
  if (state.shownVideos === 0) return state.elapsedMs >= noVideoStartMs;
  return state.renderedVideos >= state.shownVideos;
}

/** Whether a video element has drawn a first frame. */
export function hasFirstFrame(video: HTMLVideoElement): boolean {
  return video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && video.videoWidth > 0;
}

/**
 * Polls `sample` until {@link shouldStart} holds, then calls `start` once. Returns a cancel function (used
 * when the room disconnects first).
 */
export function whenReadyToStart(sample: (elapsedMs: number) => StartState, start: () => void): () => void {
  const connectedAt = performance.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  const check = (): void => {
    if (!shouldStart(sample(performance.now() - connectedAt))) return;
    cancel();
    start();
  };
  const cancel = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  timer = setInterval(check, startPollMs);
  check();
  return cancel;
}
