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
  throw new ConfigError('EGRESS_BACKEND=aws is not available in this build yet');
}
