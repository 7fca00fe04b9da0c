import { createLogger } from '#shared/logger.ts';
import { SelfCheckError } from './errors.ts';
import { runSelfCheck } from './self-check.ts';
import { readSelfCheckConfig } from './self-check-config.ts';

/**
 * Entrypoint of the recorder image's self-check (`node dist/task/self-check.mjs`): records a test page
 * through the whole capture stack and verifies the file. Exits 0 when it passed, 1 when it failed; logs
 * one JSON line with the figures either way. SIGTERM/SIGINT abort it, and everything it started stops.
 */
async function main(): Promise<number> {
  const logger = createLogger({ component: 'self-check' });
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    logger.warn('signal received: stopping the self-check', { signal });
    abort.abort();
  };
  process.on('SIGTERM', onSignal).on('SIGINT', onSignal);
  try {
    const config = readSelfCheckConfig();
    const report = await runSelfCheck(config, logger, abort.signal);
    logger.info('self-check passed', { uid: process.getuid?.(), ...report });
    return 0;
  } catch (err) {
    const failing = err instanceof SelfCheckError ? err.process : undefined;
    logger.error('self-check failed', { uid: process.getuid?.(), process: failing, err });
    return 1;
  }
}

process.exit(await main());
