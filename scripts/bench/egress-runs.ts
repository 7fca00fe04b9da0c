import { EgressStatus, type EgressInfo } from '@livekit/protocol';
import { waitForStatus, type LocalFixture } from '#bench/local-fixture.ts';

/** Helpers of the bench sections that run one egress at a time and measure its task's processes. */

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const msOf = (nanos: bigint): number => Number(nanos / 1_000_000n);

/** The task's pid, once dispatched (polled: the record learns its task id just after the launch). */
export async function taskOf(local: LocalFixture, egressId: string): Promise<{ taskId: string; pid: number }> {
  for (let i = 0; i < 100; i++) {
    const taskId = (await local.system.store.get(egressId))?.dispatch.taskId;
    const pid = taskId === undefined ? undefined : local.system.launcher.pidOf(taskId);
    if (taskId !== undefined && pid !== undefined) return { taskId, pid };
    await sleep(50);
  }
  throw new Error(`no running task for ${egressId}`);
}

/** Waits (at most 30 s) until the task process has exited, so the next run starts on a quiet machine. */
export async function taskGone(local: LocalFixture, taskId: string): Promise<void> {
  for (let i = 0; i < 300 && local.system.launcher.pidOf(taskId) !== undefined; i++) await sleep(100);
}

/** Stops the egress and waits for COMPLETE and the task's exit; returns the ENDING and COMPLETE infos. */
export async function stopAndWait(
  local: LocalFixture,
  egressId: string,
  taskId: string,
): Promise<{ stopping: EgressInfo; done: EgressInfo }> {
  const stopping = await local.client.stopEgress(egressId);
  const done = await waitForStatus(local.client, egressId, EgressStatus.EGRESS_COMPLETE, 60_000);
  await taskGone(local, taskId);
  return { stopping, done };
}
