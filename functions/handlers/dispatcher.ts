import { ChangeMessageVisibilityCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DynamoDbEgressStore } from '#adapters/aws/dynamodb-store.ts';
import { EcsTaskLauncher } from '#adapters/aws/ecs-launcher.ts';
import { parseEgressJob } from '#domain/egress-job.ts';
import { describeError } from '#domain/errors.ts';
import { createLogger } from '#shared/logger.ts';
import { emitMetric } from '#shared/metrics.ts';
import { dispatchEgress, type DispatchDeps } from '#use-cases/dispatch-egress.ts';
import { commonEnv, launcherEnv } from './lambda-env.ts';

const logger = createLogger({ component: 'dispatcher' });
const sqs = new SQSClient({});
let state: { deps: DispatchDeps; maxReceives: number } | undefined;

function init(): { deps: DispatchDeps; maxReceives: number } {
  const env = commonEnv();
  const launch = launcherEnv();
  return {
    deps: { store: new DynamoDbEgressStore(env.table), launcher: new EcsTaskLauncher(launch, logger), logger },
    maxReceives: launch.maxReceives,
  };
}

/**
 * SQS → one task per egress. Jobs to retry (throttling, no capacity) are reported as batch item failures
 * and made visible again after a backoff that grows with each receive; after the last receive the use case
 * fails the egress (503 "no capacity"). A malformed message can never succeed and is dropped with a log line.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  state ??= init();
  const { deps, maxReceives } = state;
  const failures: { itemIdentifier: string }[] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      let job;
      try {
        job = parseEgressJob(record.body);
      } catch (err) {
        logger.error('dropping malformed job message', { messageId: record.messageId, error: describeError(err) });
        return;
      }
      const receives = Number(record.attributes.ApproximateReceiveCount);
      try {
        const outcome = await dispatchEgress(deps, job, receives >= maxReceives);
        if (outcome === 'failed') emitMetric('TaskLaunchFailed');
        if (outcome !== 'retry') return;
      } catch (err) {
        logger.error('dispatch failed; will retry', { egressId: job.egressId, err });
      }
      failures.push({ itemIdentifier: record.messageId });
      await backoff(record, receives);
    }),
  );
  return { batchItemFailures: failures };
}

/** Makes a failed message visible again after 5 s × 2^(receives−1), at most 5 minutes. */
async function backoff(record: SQSRecord, receives: number): Promise<void> {
  const queueUrl = queueUrlOf(record.eventSourceARN);
  if (queueUrl === undefined) return;
  const seconds = Math.min(300, 5 * 2 ** Math.max(0, receives - 1));
  await sqs
    .send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: record.receiptHandle,
        VisibilityTimeout: seconds,
      }),
    )
    .catch((err: unknown) => logger.warn('could not set the retry delay', { error: describeError(err) }));
}

/** `arn:aws:sqs:<region>:<account>:<name>` → the queue URL (or EGRESS_QUEUE_URL when set). */
function queueUrlOf(arn: string): string | undefined {
  const fromEnv = process.env['EGRESS_QUEUE_URL'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const [, , , region, account, name] = arn.split(':');
  if (region === undefined || account === undefined || name === undefined) return undefined;
  return `https://sqs.${region}.amazonaws.com/${account}/${name}`;
}
