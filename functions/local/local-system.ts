import type { Server } from 'node:http';
import { FileEgressStore } from '#adapters/local/file-store.ts';
import { LocalChangeFeed } from '#adapters/local/change-feed.ts';
import { InProcessQueue } from '#adapters/local/in-process-queue.ts';
import { ProcessLauncher } from '#adapters/local/process-launcher.ts';
import { RequestUploadRecovery } from '#adapters/local/request-upload-recovery.ts';
import { HttpWebhookSender } from '#adapters/http/http-webhook-sender.ts';
import { RoomServiceControl } from '#adapters/livekit/room-service-control.ts';
import { EgressStatus } from '@livekit/protocol';
import { isTerminal } from '#domain/status.ts';
import { registerSecret, type Logger } from '#shared/logger.ts';
import { RecordPermission } from '#twirp/auth.ts';
import { handleTwirp } from '#twirp/router.ts';
import { dispatchEgress } from '#use-cases/dispatch-egress.ts';
import { createEgressService } from '#use-cases/egress-service.ts';
import { notifyChange } from '#use-cases/notify-change.ts';
import { taskEnded } from '#use-cases/task-ended.ts';
import type { LocalConfig } from './local-config.ts';
import { serveFetch } from './node-http.ts';

/** A running local system: API + queue + launcher + store + webhooks on one machine. */
export interface LocalSystem {
  /** Base URL of the Twirp API (what `EgressClient` is pointed at). */
  readonly url: string;
  readonly store: FileEgressStore;
  readonly launcher: ProcessLauncher;
  /** Waits until every change so far has been turned into webhooks. */
  drainWebhooks(): Promise<void>;
  /** Stops the server, the queue, every task (gracefully) and the webhook feed. Idempotent. */
  stop(): Promise<void>;
}

/** Starts the whole system in local mode with the same use cases the Lambdas run. */
export async function startLocalSystem(config: LocalConfig, logger: Logger): Promise<LocalSystem> {
  registerSecret(config.apiSecret);
  const store = await new FileEgressStore(config.dataDir).init();
  const reconcile = { store, logger: logger.child({ component: 'reconciler' }), uploads: new RequestUploadRecovery() };
  const launcher = new ProcessLauncher({
    taskEntry: config.taskEntry,
    taskEnv: {
      EGRESS_BACKEND: 'local',
      EGRESS_DATA_DIR: config.dataDir,
      EGRESS_OUTPUT_DIR: config.outputDir,
      LIVEKIT_URL: config.livekitUrl,
      LIVEKIT_API_KEY: config.apiKey,
      LIVEKIT_API_SECRET: config.apiSecret,
      EGRESS_EXIT_WITH_PARENT: '1',
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'info',
      LOG_FORMAT: process.env['LOG_FORMAT'] ?? 'json',
      ...recorderSettings(process.env),
      ...(config.taskEnv ?? {}),
    },
    logger: logger.child({ component: 'launcher' }),
    onExit: (end) => void taskEnded(reconcile, end).catch((err: unknown) => logger.error('reconcile failed', { err })),
  });
  const dispatchDeps = { store, launcher, logger: logger.child({ component: 'dispatcher' }) };
  const queue = new InProcessQueue({
    consumer: (job, finalAttempt) => dispatchEgress(dispatchDeps, job, finalAttempt),
    logger,
  });
  const notifyDeps = {
    webhooks: new HttpWebhookSender({ logger: logger.child({ component: 'webhooks' }) }),
    webhookUrls: config.webhookUrls,
    apiKey: config.apiKey,
    apiSecret: config.apiSecret,
    logger: logger.child({ component: 'notifier' }),
  };
  const feed = new LocalChangeFeed(store.changesDir, (old, next) => notifyChange(notifyDeps, old, next), logger);
  feed.start();
  const service = createEgressService({
    store,
    queue,
    launcher,
    rooms: new RoomServiceControl(config.livekitUrl, config.apiKey, config.apiSecret),
    apiKey: config.apiKey,
    logger: logger.child({ component: 'api' }),
  });
  const auth = new RecordPermission(config.apiKey, config.apiSecret);
  const server = serveFetch((request) => handleTwirp(request, { service, auth, logger }), logger);
  const port = await listen(server, config.host, config.port);
  await recover(store, queue, reconcile, logger);
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${config.host}:${port}`,
    store,
    launcher,
    drainWebhooks: () => feed.drain(),
    stop: () =>
      (stopping ??= (async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await queue.close();
        await launcher.stopAll();
        await feed.drain().catch(() => undefined);
        await feed.stop();
      })()),
  };
}

async function listen(server: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}

/**
 * After a restart: jobs queued in memory are gone, so STARTING records without a task are queued again;
 * tasks of the previous run ended with it (they exit when orphaned), so their still-open records fail.
 */
async function recover(
  store: FileEgressStore,
  queue: InProcessQueue,
  reconcile: Parameters<typeof taskEnded>[0],
  logger: Logger,
): Promise<void> {
  const open = await store.list({ active: true });
  for (const record of open) {
    const taskId = record.dispatch.taskId;
    if (record.info.status === EgressStatus.EGRESS_STARTING && taskId === undefined) {
      logger.info('re-queueing egress after restart', { egressId: record.egressId });
      await queue.enqueue({ egressId: record.egressId });
    } else if (taskId !== undefined && !isTerminal(record.info.status)) {
      await taskEnded(reconcile, { egressId: record.egressId, taskId, reason: 'local system restarted' });
    }
  }
}

/** Recorder settings a local task takes from the local server's environment (see pipelines/encoded/recorder-settings.ts). */
const recorderSettingNames = [
  'EGRESS_MAX_DURATION_SECONDS',
  'EGRESS_AUDIO_DELAY_MS',
  'EGRESS_TRACK_AUDIO_DELAY_MS',
  'EGRESS_CHROMIUM',
  'EGRESS_TEMPLATES_DIR',
] as const;

function recorderSettings(env: NodeJS.ProcessEnv): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of recorderSettingNames) {
    const value = env[name];
    if (value !== undefined) picked[name] = value;
  }
  return picked;
}
