import type { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UniversalEgressStack } from './stack.ts';
import {
  baseProps,
  placeholderLambdaDir,
  references,
  removeTempDirs,
  resourcesOf,
  synthStack,
} from './test-support.ts';

let stack: UniversalEgressStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthStack(baseProps(placeholderLambdaDir())));
});
afterAll(removeTempDirs);

const { getAtt, ref } = references(() => stack);

describe('UniversalEgress operations: secret, alarms, outputs, names', () => {
  it('creates the LiveKit secret without any value in the template', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: {} });
    const json = JSON.stringify(template.toJSON());
    expect(json.includes('"SecretString":'), 'a SecretString property in the template').toBe(false);
  });

  it('alarms on every dead-letter queue and on the EgressFailed and TaskLaunchFailed metrics', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    for (const metricName of ['EgressFailed', 'TaskLaunchFailed']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'UniversalEgress',
        MetricName: metricName,
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
    for (const queue of ['jobsDlq', 'notifierFailures', 'reconcilerDlq'] as const) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(stack.egress.queues[queue], 'QueueName') }],
        Threshold: 1,
      });
    }
  });

  it('outputs the API URL, bucket, table, queue, event bus and secret ARN', () => {
    const outputs = template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(
      ['ApiUrl', 'BucketName', 'EventBusName', 'LivekitSecretArn', 'QueueUrl', 'TableName'].sort(),
    );
    template.hasOutput('ApiUrl', { Value: getAtt(stack.egress.httpApi, 'ApiEndpoint') });
    template.hasOutput('QueueUrl', { Value: ref(stack.egress.queues.jobs) });
  });

  it('sets no fixed physical names', () => {
    const named = ['TableName', 'BucketName', 'QueueName', 'FunctionName', 'RoleName', 'ClusterName', 'Name'];
    for (const [logicalId, resource] of Object.entries(resourcesOf(template))) {
      const { Type: type, Properties: properties = {} } = resource;
      // An API's Name and an event bus's Name are required by CloudFormation; CDK derives them from the path.
      if (type === 'AWS::ApiGatewayV2::Api' || type === 'AWS::Events::EventBus') continue;
      for (const key of named) {
        const value = properties[key];
        if (typeof value === 'string') expect.fail(`${logicalId} (${type}) has a fixed ${key}: ${value}`);
      }
    }
  });
});
