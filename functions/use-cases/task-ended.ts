import { EgressStatus } from '@livekit/protocol';
import { isTerminal } from '#domain/status.ts';
import { applyStatus } from '#domain/transitions.ts';
import type { EgressStore } from '#ports/egress-store.ts';
import type { Logger } from '#shared/logger.ts';
import { updateRecord } from './update-record.ts';

export interface TaskEnd {
  readonly egressId: string;
  readonly taskId: string;
  /** Why the task stopped, for the egress error ("exit code 137", ECS stoppedReason…). */
  readonly reason: string;
}

/**
 * Reconciles a task that has stopped: if its egress is still open, the task died without finishing it, so
 * the egress becomes FAILED with the reason. A task that is not (or no longer) the egress's task changes
 * nothing. Returns whether the record was failed.
 */
export async function taskEnded(
  deps: { store: EgressStore; logger: Logger; now?: () => number },
  end: TaskEnd,
): Promise<boolean> {
  const now = deps.now?.() ?? Date.now();
  const outcome = await updateRecord(deps.store, end.egressId, (current) => {
    if (isTerminal(current.info.status)) return undefined;
    const owner = current.dispatch.taskId;
    if (owner !== undefined && owner !== end.taskId) return undefined;
    return applyStatus(
      current,
      { status: EgressStatus.EGRESS_FAILED, error: `egress task stopped unexpectedly: ${end.reason}`, errorCode: 500 },
      now,
    );
  });
  const failed = outcome?.changed ?? false;
  if (failed) deps.logger.warn('egress failed: its task stopped', { egressId: end.egressId, reason: end.reason });
  return failed;
}
