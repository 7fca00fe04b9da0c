import { randomBytes } from 'node:crypto';
import { LaunchError } from '#ports/launch-error.ts';
import type { LaunchRequest, TaskLauncher } from '#ports/task-launcher.ts';
import type { Logger } from '#shared/logger.ts';
import { ManagedProcess, describeExit } from '#shared/managed-process.ts';
import type { TaskEnd } from '#use-cases/task-ended.ts';

export interface ProcessLauncherOptions {
  /** The bundled task entrypoint (dist/task/main.mjs). */
  readonly taskEntry: string;
  /** The task environment contract (see task-image/runtime/task-config.ts), without `EGRESS_ID`. */
  readonly taskEnv: Readonly<Record<string, string>>;
  readonly logger: Logger;
  /** Called when a task process exits, whatever the reason (the local reconciler). */
  readonly onExit: (end: TaskEnd) => void;
  /** SIGTERM → SIGKILL grace, as the ECS stopTimeout. Default 30 s. */
  readonly stopTimeoutMs?: number;
}

/**
 * The launcher of local mode: runs the task entrypoint as a child process with the same environment
 * contract an ECS task gets. Idempotent per client token, like RunTask. Noticing every exit is what turns a
 * task killed mid-egress into a FAILED record instead of one ACTIVE forever.
 */
export class ProcessLauncher implements TaskLauncher {
  private readonly tasks = new Map<string, ManagedProcess>();
  private readonly byToken = new Map<string, string>();

  constructor(private readonly options: ProcessLauncherOptions) {}

  launch(request: LaunchRequest): Promise<{ taskId: string }> {
    const known = this.byToken.get(request.clientToken);
    if (known !== undefined) return Promise.resolve({ taskId: known });
    const taskId = `local-${randomBytes(6).toString('hex')}`;
    const env = {
      ...this.options.taskEnv,
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOME: process.env['HOME'] ?? '/tmp',
      NODE_ENV: 'production',
      EGRESS_ID: request.egressId,
      EGRESS_TASK_ID: taskId,
    };
    const proc = new ManagedProcess(process.execPath, [this.options.taskEntry], {
      name: `task ${request.egressId}`,
      logger: this.options.logger,
      env,
      outputLevel: 'passthrough',
      // The task's Xvfb, Chromium and ffmpeg share its group: killed with it on every path, SIGKILL included.
      processGroup: true,
    });
    if (proc.pid === undefined) {
      return Promise.reject(new LaunchError(`could not start the task process for ${request.egressId}`, false));
    }
    this.tasks.set(taskId, proc);
    this.byToken.set(request.clientToken, taskId);
    this.options.logger.info('task process started', { egressId: request.egressId, taskId, pid: proc.pid });
    void proc.exited.then((exit) => {
      this.tasks.delete(taskId);
      this.options.logger.info('task process exited', { egressId: request.egressId, taskId, exit: describeExit(exit) });
      this.options.onExit({ egressId: request.egressId, taskId, reason: describeExit(exit) });
    });
    return Promise.resolve({ taskId });
  }

  async stop(taskId: string, reason: string): Promise<void> {
    const proc = this.tasks.get(taskId);
    if (proc === undefined) return;
    this.options.logger.info('stopping task', { taskId, reason });
    await proc.stop('SIGTERM', this.options.stopTimeoutMs ?? 30_000);
  }

  /** Process id of a running task (tests kill it to play a crash). */
  pidOf(taskId: string): number | undefined {
    return this.tasks.get(taskId)?.pid;
  }

  /** Stops every running task (SIGTERM, then SIGKILL after the stop timeout) and waits for them. */
  async stopAll(): Promise<void> {
    await Promise.all([...this.tasks.keys()].map((id) => this.stop(id, 'local system stopping')));
  }
}
