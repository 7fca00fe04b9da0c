import { createLogger } from '#shared/logger.ts';
import { readLocalConfig } from './local-config.ts';
import { startLocalSystem } from './local-system.ts';

/** `npm run local`: the whole system in local mode, until Ctrl-C. */
const logger = createLogger({ component: 'local' });
try {
  const config = readLocalConfig();
  const system = await startLocalSystem(config, logger);
  process.stdout.write(
    [
      `universal egress (local mode) is listening on ${system.url}`,
      `  API key:     ${config.apiKey} (sign requests with its secret, as for LiveKit)`,
      `  LiveKit:     ${config.livekitUrl}`,
      `  records:     ${config.dataDir}`,
      `  outputs:     ${config.outputDir}`,
      `  try:         lk egress list --url ${system.url} --api-key ${config.apiKey} --api-secret <secret>`,
      '',
    ].join('\n'),
  );
  const shutdown = (signal: string): void => {
    logger.info('stopping local system', { signal });
    void system.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown).once('SIGTERM', shutdown);
} catch (err) {
  logger.error('local system failed to start', { err });
  process.exit(1);
}
