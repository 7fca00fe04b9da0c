/** Which image a task runs: the full composite recorder, or the small track forwarder. */
export type TaskImage = 'recorder' | 'forwarder';

/** Size of a task, in Fargate units. */
export interface TaskSize {
  /** vCPU in units of 1/1024 (256 = 0.25 vCPU). */
  readonly cpu: number;
  /** Memory in MiB. */
  readonly memoryMiB: number;
  /** Where the task runs: Fargate, Fargate Spot, or EC2 instances with a GPU. */
  readonly capacity: 'FARGATE' | 'FARGATE_SPOT' | 'EC2_GPU';
}

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
