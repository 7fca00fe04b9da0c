import { setTimeout as sleep } from 'node:timers/promises';
import { msUntilBetweenBeeps } from './sync-schedule.ts';

/** A monotonic content clock: content time zero is the instant it was created. */
export interface ContentClock {
  /**
   * Epoch ms of content time zero, as `performance.timeOrigin + performance.now()`: sub-millisecond, and on
   * the same scale as {@link epochNow}, so arrival times measured in this process compare directly.
   */
  readonly startedAt: number;
  /** Milliseconds of content time elapsed, from the monotonic clock (immune to wall-clock steps). */
  elapsedMs(): number;
}

/** Starts a content clock now. */
export function startContentClock(): ContentClock {
  const origin = performance.now();
  return { startedAt: performance.timeOrigin + origin, elapsedMs: () => performance.now() - origin };
}

/** Now, in epoch ms with sub-millisecond resolution (the scale of {@link ContentClock.startedAt}). */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Resolves in the middle between two beeps of a publisher whose content time zero is `startedAtMs` (epoch
 * ms, as {@link ContentClock.startedAt}): a mute or unmute sent then cuts no beep's start off.
 */
export async function betweenBeeps(startedAtMs: number): Promise<void> {
  await sleep(msUntilBetweenBeeps(startedAtMs, epochNow()));
}

/** How a {@link Pacer} emits numbered units (audio frames, video frames) against a clock. */
export interface PacerOptions {
  /** Content duration of one unit, ms. */
  readonly periodMs: number;
  /** Emit each unit this long before its content time (audio: keeps the native queue from running dry). */
  readonly leadMs?: number;
  /**
   * Most units emitted in one burst after the loop fell behind. Older due units are skipped, so content
   * stays on the clock (a late frame would shift everything after it). @default 1
   */
  readonly maxBurst?: number;
  /** The loop ends on its own after this much content time. @default 30 minutes */
  readonly maxDurationMs?: number;
  /** Emits unit `index`. A rejection stops the pacer and is kept in {@link PacerStats.error}. */
  readonly emit: (index: number) => Promise<void> | void;
}

/** Counters of a pacer, for reports and assertions. */
export interface PacerStats {
  readonly emitted: number;
  readonly skipped: number;
  /** Each time the loop fell behind and skipped units: when (epoch ms) and how much content (ms). */
  readonly skips: readonly PacerSkip[];
  readonly error: unknown;
}

/** Content the pacer skipped at once: every later unit came that much earlier than its content time. */
export interface PacerSkip {
  readonly atMs: number;
  readonly contentMs: number;
}

/** A running pacing loop. */
export interface Pacer {
  stats(): PacerStats;
  /** Stops the loop and waits until the current emit has returned. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Emits unit i at content time `i * periodMs - leadMs`, scheduling every wake-up against the clock rather
 * than accumulating timer delays, so timer jitter never becomes drift.
 */
export function startPacer(clock: ContentClock, options: PacerOptions): Pacer {
  const lead = options.leadMs ?? 0;
  const maxBurst = Math.max(1, options.maxBurst ?? 1);
  const maxDuration = options.maxDurationMs ?? 30 * 60_000;
  const abort = new AbortController();
  let next = 0;
  let emitted = 0;
  let skipped = 0;
  const skips: PacerSkip[] = [];
  let error: unknown;

  const run = async (): Promise<void> => {
    while (!abort.signal.aborted && clock.elapsedMs() < maxDuration) {
      const due = Math.floor((clock.elapsedMs() + lead) / options.periodMs) + 1;
      if (due - next > maxBurst) {
        const units = due - maxBurst - next;
        skipped += units;
        if (skips.length < 1_000) skips.push({ atMs: epochNow(), contentMs: units * options.periodMs });
        next = due - maxBurst;
      }
      // Bounded by maxBurst: at most maxBurst emits before the next wait.
      while (next < due && !abort.signal.aborted) {
        await options.emit(next);
        next++;
        emitted++;
      }
      const waitMs = next * options.periodMs - lead - clock.elapsedMs();
      await sleep(Math.max(1, waitMs), undefined, { signal: abort.signal }).catch(() => undefined);
    }
  };
  const loop = run().catch((err: unknown) => {
    error = err;
  });

  return {
    stats: () => ({ emitted, skipped, skips: [...skips], error }),
    stop: async () => {
      abort.abort();
      await loop;
    },
  };
}
