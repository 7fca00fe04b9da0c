import { ConfigError, intEnv, optionalEnv, requireEnv } from '#shared/env.ts';

/**
 * The environment contract of an egress task — the same in ECS and in local mode. The launcher adds only
 * `EGRESS_ID`; everything else is the deployment's, set once in the task definition (or the local launcher).
 *
 * | variable | meaning |
 * | --- | --- |
 * | `EGRESS_ID` | the egress this task runs |
 * | `EGRESS_BACKEND` | `aws` (DynamoDB + S3) or `local` (file store + folder), default `local` |
 * | `EGRESS_TABLE` / `EGRESS_DATA_DIR` | where records are (aws / local) |
 * | `EGRESS_BUCKET` / `EGRESS_OUTPUT_DIR` | default storage for outputs (aws / local) |
 * | `LIVEKIT_URL` | the LiveKit server the task joins (`wss://…`) |
 * | `LIVEKIT_API_KEY` | key of the deployment's key pair |
 * | `LIVEKIT_API_SECRET` / `LIVEKIT_SECRET_ARN` | its secret (local / aws: read from Secrets Manager) |
 * | `EGRESS_TASK_ID` | this task's id if the launcher knows it (local: `local:<pid>`) |
 * | `EGRESS_RECONNECT_WINDOW_S` | how long a broken room connection is resumed or rejoined before the egress ends, default 60 (0–3600) |
 */
export interface TaskConfig {
  readonly egressId: string;
  readonly backend: 'aws' | 'local';
  readonly livekitUrl: string;
  readonly apiKey: string;
  /** Resolved lazily by the backend (Secrets Manager in AWS). */
  readonly apiSecret: string | undefined;
  readonly secretArn: string | undefined;
  readonly dataDir: string | undefined;
  readonly table: string | undefined;
  readonly outputDir: string | undefined;
  readonly bucket: string | undefined;
  readonly taskId: string;
  /** How long a broken room connection is tried to be got back, ms. */
  readonly reconnectWindowMs: number;
}

/** Reads and checks the task's environment once at start. */
export function readTaskConfig(env: NodeJS.ProcessEnv = process.env): TaskConfig {
  const backend = optionalEnv(env, 'EGRESS_BACKEND', 'local');
  if (backend !== 'aws' && backend !== 'local') {
    throw new ConfigError(`environment variable EGRESS_BACKEND=${backend} must be aws or local`);
  }
  const config: TaskConfig = {
    egressId: requireEnv(env, 'EGRESS_ID'),
    backend,
    livekitUrl: requireEnv(env, 'LIVEKIT_URL'),
    apiKey: requireEnv(env, 'LIVEKIT_API_KEY'),
    apiSecret: optionalEnv(env, 'LIVEKIT_API_SECRET'),
    secretArn: optionalEnv(env, 'LIVEKIT_SECRET_ARN'),
    dataDir: optionalEnv(env, 'EGRESS_DATA_DIR'),
    table: optionalEnv(env, 'EGRESS_TABLE'),
    outputDir: optionalEnv(env, 'EGRESS_OUTPUT_DIR'),
    bucket: optionalEnv(env, 'EGRESS_BUCKET'),
    taskId: optionalEnv(env, 'EGRESS_TASK_ID', `pid:${process.pid}`),
    reconnectWindowMs: intEnv(env, 'EGRESS_RECONNECT_WINDOW_S', 60, 0, 3600) * 1000,
  };
  if (backend === 'local') {
    requireEnv(env, 'EGRESS_DATA_DIR');
    requireEnv(env, 'LIVEKIT_API_SECRET');
  } else {
    requireEnv(env, 'EGRESS_TABLE');
    if (config.apiSecret === undefined) requireEnv(env, 'LIVEKIT_SECRET_ARN');
  }
  return config;
}
