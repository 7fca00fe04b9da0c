import type { TaskImage, TaskSize } from '#domain/sizing.ts';

export type { TaskImage, TaskSize };

export interface LaunchRequest {
  readonly egressId: string;
  readonly image: TaskImage;
  readonly size: TaskSize;
  /** Idempotency token: launching twice with the same token starts one task. */
  readonly clientToken: string;
}

/**
 * Starts one task per egress (ECS RunTask in AWS, a child process in local mode). The task gets only
 * `EGRESS_ID` on top of the deployment's environment contract.
 */
export interface TaskLauncher {
  /** Starts the task; throws a `LaunchError` (retryable or not) when no task started. */
  launch(request: LaunchRequest): Promise<{ readonly taskId: string }>;
  /** Asks a task to stop (SIGTERM, then a kill after the stop timeout). Unknown ids are ignored. */
  stop(taskId: string, reason: string): Promise<void>;
}
