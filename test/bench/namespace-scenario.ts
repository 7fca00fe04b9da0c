import { networkInterfaces } from 'node:os';
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

/**
 * Setup of a network namespace with only `lo` and a veth pair whose both ends stay inside: libwebrtc
 * (rtc-node) gathers no candidates on a loopback interface, so publishers need one address that is not on
 * `lo`. It is local to the namespace; the pair's peer is the namespace's own, so nothing can leave it.
 */
export function vethNamespaceSetup(address: string): string {
  return [
    'set -e',
    'ip link set lo up',
    'ip link add ue0 type veth peer name ue1',
    `ip addr add ${address}/24 dev ue0`,
    'ip link set ue0 up',
    'ip link set ue1 up',
    'exec "$@"',
  ].join('\n');
}

/** Throws unless this process runs in the namespace {@link vethNamespaceSetup} made (rules must not touch the host). */
export function assertInVethNamespace(address: string): void {
  const interfaces = networkInterfaces();
  const names = Object.keys(interfaces).sort();
  const ue0 = (interfaces['ue0'] ?? []).map((a) => a.address);
  if (names.join() !== 'lo,ue0,ue1' || !ue0.includes(address)) {
    throw new Error(`not in the test's network namespace (interfaces ${names.join()})`);
  }
}

/**
 * The body of a scenario script run inside a namespace: prints `main`'s result as one JSON line (or
 * `{ status }` with the error and its causes, or a timeout after `timeoutMs`), then exits, because
 * rtc-node's native threads would keep the process alive.
 */
export async function runScenarioMain(main: () => Promise<unknown>, timeoutMs = 150_000): Promise<never> {
  const timer = setTimeout(() => {
    console.log(JSON.stringify({ status: 'scenario timed out' }));
    process.exit(1);
  }, timeoutMs);
  try {
    console.log(JSON.stringify(await main()));
    process.exitCode = 0;
  } catch (err) {
    const causes: string[] = [];
    for (let e: unknown = err; e !== undefined && causes.length < 5; e = e instanceof Error ? e.cause : undefined) {
      causes.push(e instanceof Error ? e.message : JSON.stringify(e));
    }
    console.log(JSON.stringify({ status: `scenario failed: ${causes.join(': ')}` }));
    process.exitCode = 1;
  } finally {
    clearTimeout(timer);
  }
  process.exit();
}
