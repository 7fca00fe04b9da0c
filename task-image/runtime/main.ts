import { createLogger, registerSecret } from '#shared/logger.ts';
import { storageResolver } from './outputs/storage-resolver.ts';
import { createPipeline } from './pipelines/create-pipeline.ts';
import { runEgressSession } from './session/egress-session.ts';
import { createTaskBackend } from './task-backend.ts';
import { readTaskConfig } from './task-config.ts';

/**
 * Entrypoint of every egress task (ECS and local mode alike): read the environment, run the one egress,
 * exit 0 when it ended as it should and non-zero when it failed. SIGTERM/SIGINT finish the outputs first.
 */
async function main(): Promise<number> {
  const bootLog = createLogger({ component: 'task' });
  const shutdown = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    bootLog.info('signal received: finishing outputs', { signal });
    shutdown.abort();
  };
  process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
  watchParent(shutdown);
  try {
    const config = readTaskConfig();
    registerSecret(config.apiSecret);
    const logger = bootLog.child({ egressId: config.egressId });
    const backend = await createTaskBackend(config);
    registerSecret(backend.apiSecret);
    return await runEgressSession({
      store: backend.store,
      logger,
      egressId: config.egressId,
      taskId: config.taskId,
      livekitUrl: config.livekitUrl,
      apiKey: config.apiKey,
      apiSecret: backend.apiSecret,
      reconnectWindowMs: config.reconnectWindowMs,
      createPipeline,
      storage: (onUploadOpen) => storageResolver(backend.defaultStorage(onUploadOpen), onUploadOpen),
      shutdown: shutdown.signal,
    });
  } catch (err) {
    bootLog.error('task failed before its egress could run', { err });
    return 2;
  }
}

/**
 * Local mode only (`EGRESS_EXIT_WITH_PARENT=1`): a task whose local server died is orphaned; it finishes its
 * outputs and exits instead of running unsupervised. ECS tasks have no parent to watch.
 */
function watchParent(shutdown: AbortController): void {
  if (process.env['EGRESS_EXIT_WITH_PARENT'] !== '1') return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      shutdown.abort();
    }
  }, 1_000);
  timer.unref();
}

// Exit explicitly: native WebRTC threads must not keep a finished task alive.
const code = await main();
process.exit(code);
