import { containerName } from '#adapters/aws/ecs-launcher.ts';
import { isEgressId } from '#domain/egress-id.ts';
import type { TaskEnd } from '#use-cases/task-ended.ts';

interface TaskDetail {
  taskArn?: unknown;
  lastStatus?: unknown;
  stoppedReason?: unknown;
  stopCode?: unknown;
  containers?: { name?: unknown; exitCode?: unknown; reason?: unknown }[];
  overrides?: { containerOverrides?: { name?: unknown; environment?: { name?: unknown; value?: unknown }[] }[] };
}

/**
 * Reads an ECS "Task State Change" detail: the stopped task of an egress (its `EGRESS_ID` override) and why
 * it stopped. Undefined for other states and for tasks that are not egress tasks.
 */
export function parseTaskStopped(detail: unknown): TaskEnd | undefined {
  if (typeof detail !== 'object' || detail === null) return undefined;
  const d = detail as TaskDetail;
  if (d.lastStatus !== 'STOPPED' || typeof d.taskArn !== 'string') return undefined;
  const override = d.overrides?.containerOverrides?.find((o) => o.name === containerName);
  const egressId = override?.environment?.find((e) => e.name === 'EGRESS_ID')?.value;
  if (typeof egressId !== 'string' || !isEgressId(egressId)) return undefined;
  const container = d.containers?.find((c) => c.name === containerName);
  const parts = [
    typeof d.stoppedReason === 'string' ? d.stoppedReason : undefined,
    typeof d.stopCode === 'string' ? `stop code ${d.stopCode}` : undefined,
    typeof container?.exitCode === 'number' ? `exit code ${container.exitCode}` : undefined,
    typeof container?.reason === 'string' ? container.reason : undefined,
  ].filter((p): p is string => p !== undefined && p !== '');
  return { egressId, taskId: d.taskArn, reason: parts.join(', ') || 'task stopped' };
}
