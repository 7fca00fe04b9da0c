import { EgressStatus, type EgressInfo, type StopEgressRequest } from '@livekit/protocol';
import { EgressError } from '#domain/errors.ts';
import { isTerminal, statusName } from '#domain/status.ts';
import type { EgressRecord } from '#domain/egress-record.ts';
import { applyStatus, type StatusChange } from '#domain/transitions.ts';
import type { ApiDeps } from './api-deps.ts';
import { checkEgressId } from './get-record.ts';
import { updateRecord } from './update-record.ts';

const stopReason = 'StopEgress API';

/**
 * StopEgress: an egress still STARTING is ABORTED at once (412, "Stop called before pipeline could start");
 * an ACTIVE one goes to ENDING with the stop written as desired state, which its task polls, finishes its
 * outputs and completes. A task that does not react in time is stopped through the launcher (ECS StopTask).
 * An ended egress answers FailedPrecondition, as LiveKit does.
 */
export async function stopEgress(deps: ApiDeps, request: StopEgressRequest): Promise<EgressInfo> {
  const now = deps.now?.() ?? Date.now();
  // The update reads the record; a missing one comes back as not found below.
  checkEgressId(request.egressId);
  const outcome = await updateRecord(deps.store, request.egressId, (current) => {
    if (isTerminal(current.info.status)) return undefined;
    if (current.desired.stop !== undefined) return undefined;
    const desired = { ...current.desired, stop: { reason: stopReason, at: now } };
    if (current.info.status === EgressStatus.EGRESS_STARTING) {
      const aborted = applyStatus(current, abortBeforeStart(current), now);
      return aborted === undefined ? undefined : { ...aborted, desired };
    }
    const ending = applyStatus(
      current,
      { status: EgressStatus.EGRESS_ENDING, details: `End reason: ${stopReason}` },
      now,
    );
    return ending === undefined ? undefined : { ...ending, desired };
  });
  if (outcome === undefined) throw new EgressError('not_found', 'egress not found');
  const { record, changed } = outcome;
  if (!changed && isTerminal(record.info.status)) {
    throw new EgressError(
      'failed_precondition',
      `egress with status ${statusName(record.info.status)} cannot be stopped`,
    );
  }
  const taskId = record.dispatch.taskId;
  if (changed && record.info.status === EgressStatus.EGRESS_ABORTED && taskId !== undefined) {
    // The task may still be starting; it would notice the abort when it claims, this just saves its time.
    await deps.launcher.stop(taskId, 'egress aborted by StopEgress').catch((err: unknown) => {
      deps.logger.warn('could not stop task of aborted egress', { egressId: record.egressId, err });
    });
  }
  deps.logger.info('stop requested', { egressId: record.egressId, status: statusName(record.info.status) });
  return record.info;
}

/**
 * LiveKit's two abort messages: a task already running a page that must signal its start (a template, a
 * web page with `await_start_signal`) was waiting for that signal; anything else had not started yet.
 */
function abortBeforeStart(record: EgressRecord): StatusChange {
  const waitsForSignal =
    record.dispatch.claimedAt !== undefined &&
    (record.request.case === 'roomComposite' ||
      (record.request.case === 'web' && record.request.value.awaitStartSignal) ||
      (record.request.case === 'egress' &&
        (record.request.value.source.case === 'template' ||
          (record.request.value.source.case === 'web' && record.request.value.source.value.awaitStartSignal))));
  return {
    status: EgressStatus.EGRESS_ABORTED,
    error: waitsForSignal ? 'Start signal not received' : 'Stop called before pipeline could start',
    errorCode: 412,
    details: `End reason: ${stopReason}`,
  };
}
