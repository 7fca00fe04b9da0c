import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { UniversalEgressProps } from './props.ts';

/** Receives of one jobs message before it moves to the DLQ; the dispatcher fails the egress on the last. */
export const MAX_RECEIVES = 5;

/** Timeout of the dispatcher Lambda; the jobs queue's visibility timeout is six times this. */
export const DISPATCHER_TIMEOUT = Duration.seconds(30);

/** The queues of the deployment. */
export interface Queues {
  /** `{egressId}` messages from the API (and the reconciler's sweep) to the dispatcher. */
  readonly jobs: sqs.Queue;
  /** Jobs the dispatcher could not handle in {@link MAX_RECEIVES} receives. */
  readonly jobsDlq: sqs.Queue;
  /** Table-stream batches the notifier failed on after its retries (the stream's on-failure destination). */
  readonly notifierFailures: sqs.Queue;
  /** ECS and schedule events EventBridge could not deliver to the reconciler. */
  readonly reconcilerDlq: sqs.Queue;
}

const encrypted = {
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
} as const;

/** SSE-encrypted, TLS-only queues; every failure path ends in a queue with an alarm on its depth. */
export function createQueues(scope: Construct): Queues {
  const retention = { retentionPeriod: Duration.days(14) };
  const jobsDlq = new sqs.Queue(scope, 'JobsDlq', { ...encrypted, ...retention });
  const jobs = new sqs.Queue(scope, 'JobsQueue', {
    ...encrypted,
    // AWS's rule for SQS event sources: at least six times the function timeout, so a message in flight is
    // not handed to a second invocation while the first still works on it.
    visibilityTimeout: Duration.seconds(DISPATCHER_TIMEOUT.toSeconds() * 6),
    deadLetterQueue: { queue: jobsDlq, maxReceiveCount: MAX_RECEIVES },
  });
  const notifierFailures = new sqs.Queue(scope, 'NotifierFailures', { ...encrypted, ...retention });
  const reconcilerDlq = new sqs.Queue(scope, 'ReconcilerDlq', { ...encrypted, ...retention });
  return { jobs, jobsDlq, notifierFailures, reconcilerDlq };
}

/**
 * The bus of the `Egress Started/Updated/Ended` events: the one given, or a custom bus. A custom bus keeps
 * the notifier's `events:PutEvents` grant to this deployment's bus and lets consumers, archives and
 * cross-account rules attach to egress events alone. AWS service events (ECS task state, S3 objects) always
 * arrive on the account's default bus, which is where the reconciler's rule listens.
 */
export function createEventBus(scope: Construct, props: UniversalEgressProps): events.IEventBus {
  return props.eventBus ?? new events.EventBus(scope, 'EventBus', { description: 'Universal egress: egress events' });
}
