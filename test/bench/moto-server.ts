import { createLogger, type Logger } from '#shared/logger.ts';
import { ManagedProcess, describeExit } from '#shared/managed-process.ts';
import { freePort } from '#shared/ports.ts';

/** A moto server (AWS APIs over real HTTP) on 127.0.0.1. */
export interface MotoServer {
  readonly endpoint: string;
  /** Environment that points AWS SDK v3 clients (in-process or child) at moto with dummy credentials. */
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

/** Starts `python3 -m moto.server` on a free loopback port; scripts/setup.sh installs moto. */
export async function startMotoServer(logger: Logger = createLogger({ component: 'moto' })): Promise<MotoServer> {
  const port = await freePort();
  const proc = new ManagedProcess('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    name: 'moto',
    logger,
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const exit = proc.exitStatus;
    if (exit !== undefined) throw new Error(`moto exited during start (${describeExit(exit)}): run scripts/setup.sh`);
    try {
      if ((await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) })).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await proc.stop('SIGKILL');
      throw new Error('moto did not start within 30 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing-secret-key-0000',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
    },
    stop: async () => {
      await proc.stop('SIGTERM', 3_000);
    },
  };
}
