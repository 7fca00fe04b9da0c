/**
 * CloudWatch metrics as Embedded Metric Format log lines (no API call; CloudWatch extracts them from the
 * Lambda's logs). Namespace `UniversalEgress`; the infra alarms on these names.
 */
export type MetricName = 'EgressFailed' | 'TaskLaunchFailed';

export function emitMetric(
  name: MetricName,
  value = 1,
  write: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
): void {
  write(
    JSON.stringify({
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          { Namespace: 'UniversalEgress', Dimensions: [[]], Metrics: [{ Name: name, Unit: 'Count' }] },
        ],
      },
      [name]: value,
    }),
  );
}
