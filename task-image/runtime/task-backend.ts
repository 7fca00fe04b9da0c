import { join } from 'node:path';
import { FileEgressStore } from '#adapters/local/file-store.ts';
import { FolderStorage } from '#adapters/local/folder-storage.ts';
import type { ObjectStorage } from '#ports/object-storage.ts';
import type { OpenUpload } from '#domain/egress-record.ts';
import type { EgressStore } from '#ports/egress-store.ts';
import { ConfigError } from '#shared/env.ts';
import type { TaskConfig } from './task-config.ts';

/** The adapters a task runs on, chosen by `EGRESS_BACKEND`. */
export interface TaskBackend {
  readonly store: EgressStore;
  readonly apiSecret: string;
  /** Outputs without an S3Upload of their own go here: the deployment's bucket, or the local folder. */
  readonly defaultStorage: (onUploadOpen: (upload: OpenUpload) => void) => ObjectStorage;
}

/** Builds the task's adapters from its configuration. */
export async function createTaskBackend(config: TaskConfig): Promise<TaskBackend> {
  if (config.backend === 'local') {
    if (config.dataDir === undefined || config.apiSecret === undefined) {
      throw new ConfigError('local backend needs EGRESS_DATA_DIR and LIVEKIT_API_SECRET');
    }
    const outputDir = config.outputDir ?? join(config.dataDir, 'output');
    return {
      store: await new FileEgressStore(config.dataDir).init(),
      apiSecret: config.apiSecret,
      defaultStorage: () => new FolderStorage(outputDir),
    };
  }
  if (config.table === undefined) throw new ConfigError('aws backend needs EGRESS_TABLE');
  // Loaded only here: local-mode tasks start without the AWS SDK.
  const [{ DynamoDbEgressStore }, { readLiveKitSecret }, { S3ObjectStorage }] = await Promise.all([
    import('#adapters/aws/dynamodb-store.ts'),
    import('#adapters/aws/livekit-secret.ts'),
    import('#adapters/aws/s3-storage.ts'),
  ]);
  const apiSecret =
    config.apiSecret ?? (config.secretArn === undefined ? undefined : await readLiveKitSecret(config.secretArn));
  if (apiSecret === undefined) throw new ConfigError('aws backend needs LIVEKIT_SECRET_ARN or LIVEKIT_API_SECRET');
  const bucket = config.bucket;
  if (bucket === undefined) throw new ConfigError('aws backend needs EGRESS_BUCKET');
  return {
    store: new DynamoDbEgressStore(config.table),
    apiSecret,
    defaultStorage: (onOpen) => new S3ObjectStorage(bucket, undefined, { onOpen }),
  };
}
