import type { Logger } from '#shared/logger.ts';
import { ManagedProcess, describeExit, type ProcessExit } from '#shared/managed-process.ts';
import { CaptureError } from './capture-error.ts';

/** What a finished tool run printed. */
export interface ToolOutput {
  readonly exit: ProcessExit;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunToolOptions {
  readonly logger: Logger;
  readonly env?: NodeJS.ProcessEnv;
  /** Kill the tool and fail after this long. */
  readonly timeoutMs: number;
  /** Aborting kills the tool and fails the run. */
  readonly signal?: AbortSignal;
  /** Return a non-zero exit instead of failing (for probes that poll). @default false */
  readonly allowFailure?: boolean;
}

/** Most output kept per stream: the tools run here print a few kilobytes. */
const MAX_OUTPUT = 1024 * 1024;

/**
 * Runs a short-lived tool (ffprobe, ffmpeg, pactl) to its end and returns what it printed. The process is
 * a {@link ManagedProcess}: whether it finishes, times out or the run is aborted, it is reaped.
 */
export async function runTool(command: string, args: readonly string[], options: RunToolOptions): Promise<ToolOutput> {
  const proc = new ManagedProcess(command, args, {
    name: command,
    logger: options.logger,
    ...(options.env === undefined ? {} : { env: options.env }),
    outputLevel: 'off',
    rawStdout: true,
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  const keep = (into: Buffer[]) => (chunk: Buffer) => {
    if (into.reduce((sum, b) => sum + b.length, 0) < MAX_OUTPUT) into.push(chunk);
  };
  proc.child.stdout?.on('data', keep(stdout));
  proc.child.stderr?.on('data', keep(stderr));

  let failure: string | undefined;
  const timer = setTimeout(() => {
    failure = `did not finish within ${options.timeoutMs} ms`;
    void proc.stop('SIGKILL');
  }, options.timeoutMs);
  const onAbort = (): void => {
    failure = 'stopped: the self-check was aborted';
    void proc.stop('SIGKILL');
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted === true) onAbort();
  try {
    const exit = await proc.exited;
    const output = {
      exit,
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
    };
    if (failure !== undefined) throw new CaptureError(`${command} ${failure}`, command);
    if (exit.code !== 0 && options.allowFailure !== true) {
      const tail = output.stderr.trim().split('\n').slice(-5).join(' | ');
      throw new CaptureError(`${command} failed with ${describeExit(exit)}: ${tail}`, command);
    }
    return output;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}

export interface WaitOptions {
  /** What is awaited, for the error message ("Chromium's audio stream"). */
  readonly what: string;
  readonly timeoutMs: number;
  /** The process that should bring the condition about: its exit ends the wait at once. */
  readonly process: { readonly name: string; readonly proc: ManagedProcess };
  readonly signal?: AbortSignal;
  /** @default 100 */
  readonly intervalMs?: number;
}

/** Polls `check` until it holds; fails naming the process when it exits first, or on timeout or abort. */
export async function waitUntil(check: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const { name, proc } = options.process;
  for (;;) {
    if (options.signal?.aborted === true) throw new CaptureError(`aborted while waiting for ${options.what}`, name);
    const exit = proc.exitStatus;
    if (exit !== undefined) {
      throw new CaptureError(`${name} exited (${describeExit(exit)}) before ${options.what} was ready`, name);
    }
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new CaptureError(`${options.what} was not ready within ${options.timeoutMs} ms`, name);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
