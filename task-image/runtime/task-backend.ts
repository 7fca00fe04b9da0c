import { DynamoDbEgressStore } from '#adapters/aws/dynamodb-store.ts';
import { readLiveKitSecret } from '#adapters/aws/livekit-secret.ts';
import { FileEgressStore } from '#adapters/local/file-store.ts';
import type { EgressStore } from '#ports/egress-store.ts';
import { ConfigError } from '#shared/env.ts';
import type { TaskConfig } from './task-config.ts';

/** The adapters a task runs on, chosen by `EGRESS_BACKEND`. */
export interface TaskBackend {
  readonly store: EgressStore;
  readonly apiSecret: string;
}

/** Builds the task's adapters from its configuration. */
export async function createTaskBackend(config: TaskConfig): Promise<TaskBackend> {
  if (config.backend === 'local') {
    if (config.dataDir === undefined || config.apiSecret === undefined) {
      throw new ConfigError('local backend needs EGRESS_DATA_DIR and LIVEKIT_API_SECRET');
    }
    return { store: await new FileEgressStore(config.dataDir).init(), apiSecret: config.apiSecret };
  }
  if (config.table === undefined) throw new ConfigError('aws backend needs EGRESS_TABLE');
  const apiSecret =
    config.apiSecret ?? (config.secretArn === undefined ? undefined : await readLiveKitSecret(config.secretArn));
  if (apiSecret === undefined) throw new ConfigError('aws backend needs LIVEKIT_SECRET_ARN or LIVEKIT_API_SECRET');
  return { store: new DynamoDbEgressStore(config.table), apiSecret };
}
