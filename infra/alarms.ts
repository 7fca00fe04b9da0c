import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { Queues } from './messaging.ts';

/** CloudWatch namespace of the metrics the Lambdas emit as EMF log lines (no dimensions). */
export const METRIC_NAMESPACE = 'UniversalEgress';

/** The alarms, by construct id. */
export type Alarms = Record<
  'JobsDlqAlarm' | 'NotifierFailuresAlarm' | 'ReconcilerDlqAlarm' | 'EgressFailedAlarm' | 'TaskLaunchFailedAlarm',
  cloudwatch.Alarm
>;

/**
 * One alarm per failure path: a message in any dead-letter queue, and any `EgressFailed` or
 * `TaskLaunchFailed` count in five minutes. Missing data (no failures reported) is not breaching.
 */
export function createAlarms(scope: Construct, queues: Queues, topic: sns.ITopic | undefined): Alarms {
  const period = Duration.minutes(5);
  const alarm = (id: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm => {
    const created = new cloudwatch.Alarm(scope, id, {
      metric,
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    if (topic !== undefined) {
      created.addAlarmAction(new actions.SnsAction(topic));
      created.addOkAction(new actions.SnsAction(topic));
    }
    return created;
  };
  const depth = (queue: Queues[keyof Queues]): cloudwatch.IMetric =>
    queue.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM });
  const count = (metricName: string): cloudwatch.IMetric =>
    new cloudwatch.Metric({ namespace: METRIC_NAMESPACE, metricName, period, statistic: cloudwatch.Stats.SUM });
  return {
    JobsDlqAlarm: alarm(
      'JobsDlqAlarm',
      depth(queues.jobsDlq),
      'Jobs the dispatcher could not handle are in the jobs DLQ; their egresses may still be STARTING.',
    ),
    NotifierFailuresAlarm: alarm(
      'NotifierFailuresAlarm',
      depth(queues.notifierFailures),
      'Table stream batches the notifier failed on after its retries: webhooks/events were not delivered.',
    ),
    ReconcilerDlqAlarm: alarm(
      'ReconcilerDlqAlarm',
      depth(queues.reconcilerDlq),
      'Task-stopped or sweep events EventBridge could not deliver to the reconciler.',
    ),
    EgressFailedAlarm: alarm(
      'EgressFailedAlarm',
      count('EgressFailed'),
      'Egresses ended FAILED (metric UniversalEgress/EgressFailed, emitted by the Lambdas as EMF).',
    ),
    TaskLaunchFailedAlarm: alarm(
      'TaskLaunchFailedAlarm',
      count('TaskLaunchFailed'),
      'ECS RunTask failed for an egress (metric UniversalEgress/TaskLaunchFailed, emitted by the dispatcher).',
    ),
  };
}
