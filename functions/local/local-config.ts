import { resolve } from 'node:path';
import { intEnv, listEnv, optionalEnv, requireEnv } from '#shared/env.ts';

/**
 * Configuration of local mode, from the environment:
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `LIVEKIT_URL` | required | the LiveKit server (`ws://127.0.0.1:7880`) |
 * | `LIVEKIT_API_KEY`, `LIVEKIT_API_SECRET` | required | its key pair: callers sign with it, tasks join with it |
 * | `EGRESS_HOST` | `127.0.0.1` | address the API listens on |
 * | `EGRESS_PORT` | `7890` | its port (0: any free port) |
 * | `EGRESS_DATA_DIR` | `.data/local/store` | the persistent record store |
 * | `EGRESS_OUTPUT_DIR` | `.data/local/output` | where file outputs land |
 * | `EGRESS_WEBHOOK_URLS` | none | comma-separated webhook URLs for every event |
 * | `EGRESS_TASK_ENTRY` | `dist/task/main.mjs` | the bundled task entrypoint |
 */
export interface LocalConfig {
  readonly livekitUrl: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly outputDir: string;
  readonly webhookUrls: readonly string[];
  readonly taskEntry: string;
  /** More task environment (recorder settings), over what the server's environment gives. */
  readonly taskEnv?: Readonly<Record<string, string>>;
}

/** Reads local-mode configuration once at start. */
export function readLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  return {
    livekitUrl: requireEnv(env, 'LIVEKIT_URL'),
    apiKey: requireEnv(env, 'LIVEKIT_API_KEY'),
    apiSecret: requireEnv(env, 'LIVEKIT_API_SECRET'),
    host: optionalEnv(env, 'EGRESS_HOST', '127.0.0.1'),
    port: intEnv(env, 'EGRESS_PORT', 7890, 0, 65535),
    dataDir: resolve(optionalEnv(env, 'EGRESS_DATA_DIR', '.data/local/store')),
    outputDir: resolve(optionalEnv(env, 'EGRESS_OUTPUT_DIR', '.data/local/output')),
    webhookUrls: listEnv(env, 'EGRESS_WEBHOOK_URLS'),
    taskEntry: resolve(optionalEnv(env, 'EGRESS_TASK_ENTRY', 'dist/task/main.mjs')),
  };
}
