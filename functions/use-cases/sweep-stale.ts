import { EgressStatus } from '@livekit/protocol';
import type { EgressStore } from '#ports/egress-store.ts';
import type { JobQueue } from '#ports/job-queue.ts';
import type { TaskLauncher } from '#ports/task-launcher.ts';
import type { Logger } from '#shared/logger.ts';
import { launchLeaseMs } from './dispatch-egress.ts';

export interface SweepDeps {
  readonly store: EgressStore;
  readonly queue: JobQueue;
  readonly launcher: Pick<TaskLauncher, 'stop'>;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** A STARTING record with no task this long after creation lost its job message. */
export const lostDispatchMs = 2 * 60_000;
/** A task still ENDING this long after StopEgress gets ECS StopTask (it then has its stop timeout to finish). */
export const stopFallbackMs = 3 * 60_000;

/**
 * The periodic sweep: queues again the STARTING egresses whose dispatch was lost (the dispatcher's
 * idempotency makes a duplicate harmless), and stops, through ECS, tasks that ignore StopEgress.
 */
export async function sweepStale(deps: SweepDeps): Promise<{ requeued: number; stopped: number }> {
  const now = deps.now?.() ?? Date.now();
  let requeued = 0;
  let stopped = 0;
  for (const record of await deps.store.list({ active: true })) {
    const { dispatch, desired, info } = record;
    const launching = dispatch.launchingSince !== undefined && now - dispatch.launchingSince < launchLeaseMs;
    if (
      info.status === EgressStatus.EGRESS_STARTING &&
      dispatch.taskId === undefined &&
      !launching &&
      now - record.createdAt > lostDispatchMs
    ) {
      deps.logger.warn('re-queueing egress whose dispatch was lost', { egressId: record.egressId });
      await deps.queue.enqueue({ egressId: record.egressId });
      requeued += 1;
    } else if (desired.stop !== undefined && dispatch.taskId !== undefined && now - desired.stop.at > stopFallbackMs) {
      deps.logger.warn('task ignores StopEgress; stopping it', { egressId: record.egressId, taskId: dispatch.taskId });
      await deps.launcher.stop(dispatch.taskId, 'StopEgress fallback');
      stopped += 1;
    }
  }
  return { requeued, stopped };
}
