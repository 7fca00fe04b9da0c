import { ECSClient } from '@aws-sdk/client-ecs';
import type { EventBridgeEvent } from 'aws-lambda';
import { DynamoDbEgressStore } from '#adapters/aws/dynamodb-store.ts';
import { EcsTaskLauncher } from '#adapters/aws/ecs-launcher.ts';
import { SqsJobQueue } from '#adapters/aws/sqs-queue.ts';
import { S3UploadRecovery } from '#adapters/aws/s3-upload-recovery.ts';
import { createLogger } from '#shared/logger.ts';
import { requireEnv } from '#shared/env.ts';
import { sweepStale } from '#use-cases/sweep-stale.ts';
import { taskEnded } from '#use-cases/task-ended.ts';
import { commonEnv } from './lambda-env.ts';
import { parseTaskStopped } from './task-state-change.ts';

const logger = createLogger({ component: 'reconciler' });

function deps() {
  const env = commonEnv();
  const cluster = requireEnv(process.env, 'EGRESS_CLUSTER');
  const launcher = new EcsTaskLauncher(
    {
      cluster,
      subnets: [],
      securityGroups: [],
      assignPublicIp: 'DISABLED',
      recorderTaskDefinition: '',
      forwarderTaskDefinition: '',
      gpuCapacityProvider: '',
      spot: false,
    },
    logger,
    new ECSClient({}),
  );
  return {
    store: new DynamoDbEgressStore(env.table),
    queue: new SqsJobQueue(requireEnv(process.env, 'EGRESS_QUEUE_URL')),
    launcher,
    uploads: new S3UploadRecovery(),
    logger,
  };
}
let cached: ReturnType<typeof deps> | undefined;

/**
 * ECS "Task State Change" (STOPPED) → an egress still open becomes FAILED with the stop reason and exit code;
 * the scheduled event → the sweep for lost dispatches and ignored stops.
 */
export async function handler(event: EventBridgeEvent<string, unknown>): Promise<void> {
  cached ??= deps();
  if (event['detail-type'] === 'ECS Task State Change') {
    const stopped = parseTaskStopped(event.detail);
    if (stopped === undefined) return;
    await taskEnded(cached, stopped);
    return;
  }
  const result = await sweepStale(cached);
  logger.info('sweep done', result);
}
