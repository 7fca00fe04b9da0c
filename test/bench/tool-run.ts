import { finished } from 'node:stream/promises';
import type { LogFields, Logger } from '#shared/logger.ts';
import { ManagedProcess, describeExit, type ProcessExit } from '#shared/managed-process.ts';
import { MediaCheckError } from './bench-errors.ts';

/** How to run one ffmpeg/ffprobe invocation. */
export interface ToolRunOptions {
  /** Kill the process and fail after this long. @default 120 000 */
  readonly timeoutMs?: number;
  /** Receives stdout as it arrives (raw frames, JSON). Without it stdout is drained and dropped. */
  readonly onStdout?: (chunk: Buffer) => void;
  /** Which stderr lines to keep. @default all */
  readonly keepStderr?: (line: string) => boolean;
  /** Return a non-zero exit instead of throwing (decode-error scans expect one). @default false */
  readonly allowFailure?: boolean;
}

/** What a tool run left behind. */
export interface ToolResult {
  readonly exit: ProcessExit;
  readonly stderr: readonly string[];
}

/** Most stderr lines kept per run: bounds memory on hour-long files. */
const MAX_STDERR_LINES = 200_000;

/**
 * A {@link Logger} that keeps the process's stderr lines: ManagedProcess sends every stderr line to its
 * logger, so collecting them there keeps the one spawn-and-cleanup path for all child processes.
 */
function stderrCollector(keep: (line: string) => boolean, lines: string[]): Logger {
  const collect = (msg: string, fields?: LogFields): void => {
    if (fields?.['stream'] !== 'stderr' && fields?.['err'] === undefined) return;
    if (lines.length < MAX_STDERR_LINES && keep(msg)) lines.push(msg);
  };
  const logger: Logger = { debug: collect, info: collect, warn: collect, error: collect, child: () => logger };
  return logger;
}

/** Runs `tool` with `args`, always reaping it, and returns its exit and kept stderr lines. */
export async function runTool(
  tool: 'ffmpeg' | 'ffprobe',
  args: readonly string[],
  options: ToolRunOptions = {},
): Promise<ToolResult> {
  const stderr: string[] = [];
  const proc = new ManagedProcess(tool, ['-hide_banner', ...args], {
    name: tool,
    logger: stderrCollector(options.keepStderr ?? (() => true), stderr),
    rawStdout: true,
  });
  const stdout = proc.child.stdout;
  if (stdout !== null) {
    if (options.onStdout === undefined) stdout.resume();
    else stdout.on('data', options.onStdout);
  }
  const timeoutMs = options.timeoutMs ?? 120_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void proc.stop('SIGKILL');
  }, timeoutMs);
  let exit: ProcessExit;
  try {
    exit = await proc.exited;
    // 'exit' can come before the last stdout/stderr bytes: wait for both streams to end.
    await Promise.all(
      [proc.child.stdout, proc.child.stderr].map(async (s) =>
        s === null ? undefined : finished(s).catch(() => undefined),
      ),
    );
  } finally {
    clearTimeout(timer);
    await proc.stop('SIGKILL');
  }
  if (timedOut) throw new MediaCheckError(tool, `did not finish within ${timeoutMs} ms (${args.join(' ')})`);
  if (exit.code !== 0 && options.allowFailure !== true) {
    const tail = stderr.slice(-5).join(' | ');
    throw new MediaCheckError(tool, `failed with ${describeExit(exit)}: ${tail}`);
  }
  return { exit, stderr };
}
