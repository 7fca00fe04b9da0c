/**
 * Callers waiting for a track to be published. Each wait ends exactly once: found, timed out, aborted, or
 * rejected because the session ended; its timer and abort listener are removed on every path.
 */
import { LiveKitSubscriberError } from './errors.ts';
import type { RemoteTrack } from './room-state.ts';

interface Waiter {
  readonly trackSid: string;
  readonly settle: (track: RemoteTrack | undefined, err?: Error) => void;
}

/** Pending waits for tracks, keyed by nothing more than the track sid they want. */
export class TrackWaiters {
  private readonly waiters = new Set<Waiter>();

  /** Number of pending waits. */
  get size(): number {
    return this.waiters.size;
  }

  /** Resolves with the track once {@link found} reports it; rejects with `timeoutError()` after `timeoutMs`. */
  wait(trackSid: string, timeoutMs: number, timeoutError: () => Error, signal?: AbortSignal): Promise<RemoteTrack> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void =>
        waiter.settle(undefined, new LiveKitSubscriberError('aborted', 'wait aborted', { cause: signal?.reason }));
      const timer = setTimeout(() => waiter.settle(undefined, timeoutError()), timeoutMs);
      const waiter: Waiter = {
        trackSid,
        settle: (track, err) => {
          if (!this.waiters.delete(waiter)) return;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          if (track !== undefined) resolve(track);
          else reject(err ?? timeoutError());
        },
      };
      this.waiters.add(waiter);
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A track was published: resolves every wait for it. */
  found(track: RemoteTrack): void {
    for (const waiter of [...this.waiters]) if (waiter.trackSid === track.sid) waiter.settle(track);
  }

  /** Rejects every pending wait with `err`. */
  rejectAll(err: Error): void {
    for (const waiter of [...this.waiters]) waiter.settle(undefined, err);
  }
}
