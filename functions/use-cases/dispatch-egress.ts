import { EgressStatus } from '@livekit/protocol';
import type { EgressJob } from '#ports/job-queue.ts';
import { LaunchError } from '#ports/launch-error.ts';
import type { EgressStore } from '#ports/egress-store.ts';
import type { TaskLauncher } from '#ports/task-launcher.ts';
import { describeError } from '#domain/errors.ts';
import { resolvePlan } from '#domain/request/plan.ts';
import { taskFor } from '#domain/sizing.ts';
import { applyStatus } from '#domain/transitions.ts';
import { isTerminal } from '#domain/status.ts';
import type { Logger } from '#shared/logger.ts';
import { updateRecord } from './update-record.ts';

export interface DispatchDeps {
  readonly store: EgressStore;
  readonly launcher: TaskLauncher;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** What happened to a job: started, dropped as a duplicate/stale, to be retried, or failed for good. */
export type DispatchOutcome = 'launched' | 'dropped' | 'retry' | 'failed';

/** A launch younger than this is taken to be in progress: a duplicate delivery is dropped. */
export const launchLeaseMs = 60_000;

/**
 * Starts the task of one queued egress, idempotently: only a STARTING record with no task and no launch in
 * progress is launched (a conditional write claims the launch), the launcher gets an idempotency token, and
 * capacity errors are retried until `finalAttempt`, after which the egress is FAILED 503 "no capacity".
 */
export async function dispatchEgress(
  deps: DispatchDeps,
  job: EgressJob,
  finalAttempt: boolean,
): Promise<DispatchOutcome> {
  const now = deps.now?.() ?? Date.now();
  const log = deps.logger.child({ egressId: job.egressId });
  const claim = await updateRecord(deps.store, job.egressId, (current) => {
    const d = current.dispatch;
    if (current.info.status !== EgressStatus.EGRESS_STARTING || d.taskId !== undefined) return undefined;
    if (d.launchingSince !== undefined && now - d.launchingSince < launchLeaseMs) return undefined;
    return { ...current, dispatch: { ...d, attempts: d.attempts + 1, launchingSince: now } };
  });
  if (claim === undefined || !claim.changed) {
    log.info('job dropped: egress missing, already dispatched or no longer starting');
    return 'dropped';
  }
  const record = claim.record;
  const task = taskFor(resolvePlan(record.request));
  try {
    const { taskId } = await deps.launcher.launch({
      egressId: record.egressId,
      ...task,
      clientToken: `${record.egressId}-${record.dispatch.attempts}`,
    });
    const written = await updateRecord(deps.store, record.egressId, (current) =>
      isTerminal(current.info.status)
        ? undefined
        : { ...current, dispatch: { attempts: current.dispatch.attempts, taskId } },
    );
    if (written?.changed !== true) {
      // Aborted while the task was starting: the task would find the record ended and exit; save its time.
      await deps.launcher.stop(taskId, 'egress ended before its task started');
    }
    log.info('task launched', { taskId, image: task.image, attempt: record.dispatch.attempts });
    return 'launched';
  } catch (err) {
    const retryable = err instanceof LaunchError && err.retryable;
    // Release the launch so the retry (a redelivery of the job) may claim it again.
    await updateRecord(deps.store, record.egressId, (current) =>
      isTerminal(current.info.status) ? undefined : { ...current, dispatch: { attempts: current.dispatch.attempts } },
    );
    if (retryable && !finalAttempt) {
      log.warn('launch failed; will retry', { error: describeError(err), attempt: record.dispatch.attempts });
      return 'retry';
    }
    const message = retryable
      ? `no capacity to start the egress task after ${record.dispatch.attempts} attempts: ${describeError(err)}`
      : `could not start the egress task: ${describeError(err)}`;
    log.error('launch failed; egress failed', { error: message });
    await updateRecord(deps.store, record.egressId, (current) =>
      applyStatus(current, { status: EgressStatus.EGRESS_FAILED, error: message, errorCode: 503 }, now),
    );
    return 'failed';
  }
}
