import { createLogger } from '#shared/logger.ts';
import { ManagedProcess, describeExit } from '#shared/managed-process.ts';

/** A scenario script run inside namespaces of its own. */
export interface NamespaceScenario {
  /** `unshare` options before `--` (`--net`, `--pid --fork --kill-child`, `--mount`…). */
  readonly unshare: readonly string[];
  /** Shell run first inside (set up `lo`, addresses…); it must end with `exec "$@"`. */
  readonly setup: string;
  /** Arguments passed to the setup after `$0` (before the scenario's command). */
  readonly setupArgs?: readonly string[];
  /** The TypeScript scenario, run with tsx. */
  readonly scenario: string;
  readonly name: string;
  /** Sent SIGTERM after this long (longer than the scenario's own bound, so it reports first). */
  readonly timeoutMs: number;
}

/**
 * Runs the scenario (as PID 1 of its PID namespace when `--pid` is given, so whatever it leaves dies with
 * it) and returns the last JSON line it printed on stdout, parsed.
 */
export async function runNamespaceScenario<T>(options: NamespaceScenario): Promise<T> {
  const args = [...options.unshare, '--', 'bash', '-c', options.setup, 'bash', ...(options.setupArgs ?? [])];
  args.push(process.execPath, '--import', 'tsx', options.scenario);
  const proc = new ManagedProcess('unshare', args, {
    name: options.name,
    logger: createLogger({ component: options.name }),
    rawStdout: true,
    outputLevel: 'passthrough',
    processGroup: true,
  });
  let stdout = '';
  proc.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  const timer = setTimeout(() => void proc.stop('SIGTERM', 5_000), options.timeoutMs);
  const exit = await proc.exited.finally(() => clearTimeout(timer));
  const line = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .at(-1);
  if (line === undefined) throw new Error(`the scenario printed no result (${describeExit(exit)}): ${stdout}`);
  return JSON.parse(line) as T;
}
