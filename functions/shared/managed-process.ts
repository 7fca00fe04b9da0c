import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';
import { maskSecrets, type Logger } from './logger.ts';

/** How a managed process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ManagedProcessOptions {
  /** Name used in log lines and errors ("ffmpeg", "livekit-server", "task EG_…"). */
  readonly name: string;
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /**
   * What happens to the process's stdout/stderr lines: logged at `debug`/`info` with the process name,
   * `passthrough` (written to this process's stderr as they are, secrets masked — for children that log
   * with the same logger), or `off`. Default `debug`.
   */
  readonly outputLevel?: 'debug' | 'info' | 'passthrough' | 'off';
  /** Pass stdin through as a pipe (for ffmpeg fed from Node). Default: ignored. */
  readonly stdin?: 'pipe' | 'ignore';
  /** Keep stdout as a raw stream for the caller instead of logging it. */
  readonly rawStdout?: boolean;
  /** Extra output pipes after stderr (fd 3, 4, …), read raw by the caller through `child.stdio`. */
  readonly extraPipes?: number;
  /**
   * Run the process as the leader of a process group of its own, and signal the whole group: whatever
   * it started (Xvfb, Chromium, ffmpeg…) goes with it, even when it was SIGKILLed and could not clean up.
   */
  readonly processGroup?: boolean;
}

/**
 * A child process that is always cleaned up: {@link stop} is idempotent, escalates SIGTERM → SIGKILL, and
 * every process started this way is killed when the parent exits, so no path leaves an orphan.
 */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;
  private stopping: Promise<ProcessExit> | undefined;

  constructor(
    command: string,
    args: readonly string[],
    private readonly options: ManagedProcessOptions,
  ) {
    const spawnOptions: SpawnOptions = {
      env: options.env ?? process.env,
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe', ...Array<'pipe'>(options.extraPipes ?? 0).fill('pipe')],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      ...(options.processGroup === true ? { detached: true } : {}),
    };
    this.child = spawn(command, [...args], spawnOptions);
    live.add(this);
    this.exited = new Promise((resolve) => {
      const finish = (exit: ProcessExit): void => {
        if (this.exit !== undefined) return;
        this.exit = exit;
        // The leader is gone; anything left in its group is an orphan of it.
        if (options.processGroup === true) this.signal('SIGKILL');
        live.delete(this);
        resolve(exit);
      };
      this.child.once('exit', (code, signal) => finish({ code, signal }));
      // A spawn failure (ENOENT) emits 'error' and no 'exit'.
      this.child.once('error', (err) => {
        options.logger.error(`${options.name} failed to start`, { err });
        finish({ code: 127, signal: null });
      });
    });
    const level = options.outputLevel ?? 'debug';
    if (level !== 'off') {
      const log = options.logger.child({ process: options.name });
      const pipeLines = (stream: NodeJS.ReadableStream | null, tag: string): void => {
        if (stream === null) return;
        createInterface({ input: stream }).on('line', (line) => {
          if (level === 'passthrough') process.stderr.write(`${maskSecrets(line)}\n`);
          else log[level](line, { stream: tag });
        });
      };
      if (options.rawStdout !== true) pipeLines(this.child.stdout, 'stdout');
      pipeLines(this.child.stderr, 'stderr');
    } else {
      if (options.rawStdout !== true) this.child.stdout?.resume();
      this.child.stderr?.resume();
    }
  }

  /** Sends `signal` to the process, or to its whole group when it leads one. Never throws. */
  signal(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    try {
      if (this.options.processGroup === true && pid !== undefined) process.kill(-pid, signal);
      else if (this.exit === undefined) this.child.kill(signal);
    } catch {
      // ESRCH: the process (group) is already gone.
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The exit, once the process has ended. */
  get exitStatus(): ProcessExit | undefined {
    return this.exit;
  }

  /**
   * Stops the process: `signal` first, SIGKILL after `graceMs`. Safe to call any number of times and after
   * the process has ended; every caller gets the same exit.
   */
  stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<ProcessExit> {
    if (this.exit !== undefined) return Promise.resolve(this.exit);
    this.stopping ??= (async () => {
      this.signal(signal);
      const timer = setTimeout(() => {
        this.options.logger.warn(`${this.options.name} did not exit after ${signal}; killing it`, { graceMs });
        this.signal('SIGKILL');
      }, graceMs);
      try {
        return await this.exited;
      } finally {
        clearTimeout(timer);
      }
    })();
    return this.stopping;
  }
}

const live = new Set<ManagedProcess>();

// Last line of defence: whatever path the parent takes to exit, its children go with it.
process.once('exit', () => {
  for (const proc of live) proc.signal('SIGKILL');
});

/** Describes an exit for messages: "exit code 1" or "signal SIGKILL". */
export function describeExit(exit: ProcessExit): string {
  return exit.signal === null ? `exit code ${String(exit.code)}` : `signal ${exit.signal}`;
}
