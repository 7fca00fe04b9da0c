/**
 * How a subscriber gets its session back after the signalling socket or the media path broke: attempts on a
 * backoff schedule, each a resume (same participant, same peer connection: LiveKit reattaches the socket and
 * restarts ICE) or, once the server has said the session is gone, a full rejoin. Bounded by a window; when it
 * passes, the session ends. Pure scheduling: the subscriber supplies the attempts.
 */
import { LiveKitSubscriberError, SubscriberConnectError } from './errors.ts';

/** Delays before attempt 1, 2, …, ms; the last one repeats. LiveKit's JS SDK waits 0, 0.3, 1.2, 2.7, 4.8, 7 s. */
export const recoveryBackoffMs: readonly number[] = [0, 300, 1_000, 2_000, 3_000, 5_000];

/** The two ways back. */
export type RecoveryMode = 'resume' | 'rejoin';

/** What a {@link Recovery} runs. */
export interface RecoveryAttempts {
  /** Reattaches the session; throws when it cannot (the error says whether a rejoin is needed). */
  readonly resume: () => Promise<void>;
  /** Joins afresh and subscribes to the same tracks again. */
  readonly rejoin: () => Promise<void>;
  /** The window passed, or an attempt failed in a way no retry fixes. */
  readonly giveUp: (message: string, cause: unknown) => void;
  /** Logs one failed attempt. */
  readonly attemptFailed: (mode: RecoveryMode, attempt: number, err: unknown) => void;
}

/** The session must be joined again: the server refused the resume (a Leave, or no such participant). */
export class ResumeRefusedError extends LiveKitSubscriberError {
  override readonly name: string = 'ResumeRefusedError';
}

/** Runs attempts until one succeeds, the window passes, or {@link cancel}. */
export class Recovery {
  private cancelled = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly attempts: RecoveryAttempts,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves true when the session is back, false when it gave up or was cancelled. */
  async run(firstMode: RecoveryMode): Promise<boolean> {
    const deadline = this.now() + this.windowMs;
    let mode = firstMode;
    let lastError: unknown;
    for (let attempt = 1; !this.cancelled; attempt++) {
      // The last attempt is made as the window closes, not one backoff step before it.
      const left = deadline - this.now();
      if (left <= 0) break;
      await this.sleep(Math.min(recoveryBackoffMs[Math.min(attempt - 1, recoveryBackoffMs.length - 1)] ?? 0, left));
      if (this.cancelled) return false;
      try {
        await (mode === 'resume' ? this.attempts.resume() : this.attempts.rejoin());
        return true;
      } catch (err) {
        lastError = err;
        this.attempts.attemptFailed(mode, attempt, err);
        if (isFatal(err)) {
          this.attempts.giveUp(`LiveKit refused to let the recorder back in: ${messageOf(err)}`, err);
          return false;
        }
        if (err instanceof ResumeRefusedError) mode = 'rejoin';
      }
    }
    if (this.cancelled) return false;
    const seconds = Math.round(this.windowMs / 100) / 10;
    this.attempts.giveUp(
      `lost the connection to the room and could not get it back within ${seconds} s` +
        (lastError === undefined ? '' : `: ${messageOf(lastError)}`),
      lastError,
    );
    return false;
  }

  /** Stops at the next step; a pending sleep ends at once. */
  cancel(): void {
    this.cancelled = true;
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** A 401/403: the token no longer admits us (expired, revoked); retrying cannot help. */
function isFatal(err: unknown): boolean {
  return err instanceof SubscriberConnectError && err.reason === 'unauthorized';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
