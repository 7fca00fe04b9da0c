import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { EgressInfo, EgressStatus } from '@livekit/protocol';
import { EgressClient } from 'livekit-server-sdk';
import { startLocalSystem, type LocalSystem } from '#local/local-system.ts';
import { createLogger } from '#shared/logger.ts';
import { isTerminal, statusName } from '#domain/status.ts';
import type { LiveKitServer } from './livekit-server.ts';

/** The local system under test, with the SDK client pointed at it and its folders in a temp dir. */
export interface LocalFixture {
  readonly system: LocalSystem;
  readonly client: EgressClient;
  readonly dataDir: string;
  readonly outputDir: string;
  /** Restarts the system on the same folders (records must survive). */
  restart(): Promise<LocalFixture>;
  stop(): Promise<void>;
}

export interface LocalFixtureOptions {
  readonly webhookUrls?: readonly string[];
  /** Reuse folders (for restarts). */
  readonly baseDir?: string;
  /** More task environment (recorder settings such as `EGRESS_MAX_DURATION_SECONDS`). */
  readonly taskEnv?: Readonly<Record<string, string>>;
}

/** Starts the local system against `livekit` on a free port, with fresh folders. */
export async function startLocalFixture(
  livekit: LiveKitServer,
  options: LocalFixtureOptions = {},
): Promise<LocalFixture> {
  const base = options.baseDir ?? (await mkdtemp(join(tmpdir(), 'ue-local-')));
  const config = {
    livekitUrl: livekit.url,
    apiKey: livekit.apiKey,
    apiSecret: livekit.apiSecret,
    host: '127.0.0.1',
    port: 0,
    dataDir: join(base, 'store'),
    outputDir: join(base, 'output'),
    webhookUrls: options.webhookUrls ?? [],
    taskEntry: resolve('dist/task/main.mjs'),
    ...(options.taskEnv === undefined ? {} : { taskEnv: options.taskEnv }),
  };
  const system = await startLocalSystem(config, createLogger({ component: 'local-test' }));
  const fixture: LocalFixture = {
    system,
    client: new EgressClient(system.url, livekit.apiKey, livekit.apiSecret),
    dataDir: config.dataDir,
    outputDir: config.outputDir,
    restart: async () => {
      await system.stop();
      return startLocalFixture(livekit, { ...options, baseDir: base });
    },
    stop: async () => {
      await system.stop();
      // UE_KEEP_OUTPUT=1 keeps the folders of a run for a look at its files afterwards.
      if (options.baseDir !== undefined) return;
      if (process.env['UE_KEEP_OUTPUT'] === '1') process.stderr.write(`local fixture: kept ${base}\n`);
      else await rm(base, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** Polls ListEgress until `check` holds for the egress's info; fails after `timeoutMs` showing the last one. */
export async function waitForInfo(
  client: EgressClient,
  egressId: string,
  check: (info: EgressInfo) => boolean,
  timeoutMs: number,
): Promise<EgressInfo> {
  const deadline = Date.now() + timeoutMs;
  let last: EgressInfo | undefined;
  while (Date.now() < deadline) {
    [last] = await client.listEgress({ egressId });
    if (last !== undefined && check(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`egress ${egressId} did not reach the expected state: ${JSON.stringify(last?.toJson())}`);
}

/** Polls ListEgress until the egress reaches `status` (or any terminal state it cannot leave). */
export async function waitForStatus(
  client: EgressClient,
  egressId: string,
  status: EgressStatus,
  timeoutMs: number,
): Promise<EgressInfo> {
  const deadline = Date.now() + timeoutMs;
  let last: EgressInfo | undefined;
  while (Date.now() < deadline) {
    [last] = await client.listEgress({ egressId });
    if (last?.status === status) return last;
    if (last !== undefined && isTerminal(last.status)) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `egress ${egressId} did not reach ${statusName(status)} within ${timeoutMs} ms: ` +
      (last === undefined ? 'not found' : `${statusName(last.status)} ${last.error}`),
  );
}
