import { Match, type Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UniversalEgressStack } from './stack.ts';
import {
  baseProps,
  placeholderLambdaDir,
  propertiesOf,
  references,
  removeTempDirs,
  synthStack,
} from './test-support.ts';

let stack: UniversalEgressStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthStack(baseProps(placeholderLambdaDir())));
});
afterAll(removeTempDirs);

const { id, getAtt, ref } = references(() => stack);

/** The environment of one function, as synthesized. */
function environmentOf(functionId: string): Record<string, unknown> {
  const fn = propertiesOf(template, id(stack.egress.node.findChild(functionId)));
  return (fn['Environment'] as { Variables: Record<string, unknown> }).Variables;
}

describe('UniversalEgress resources', () => {
  it('has the egress table: egressId key, byRoom index, TTL, stream, PITR, on-demand', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'egressId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byRoom',
          KeySchema: [
            { AttributeName: 'roomName', KeyType: 'HASH' },
            { AttributeName: 'createdAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'roomName', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'N' },
      ]),
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });

  it('has the jobs queue with a DLQ after 5 receives and a visibility of 6× the dispatcher timeout', () => {
    const { jobs, jobsDlq } = stack.egress.queues;
    template.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: getAtt(jobsDlq), maxReceiveCount: 5 },
    });
    const dispatcher = propertiesOf(template, id(stack.egress.functions.dispatcher));
    expect(180).toBeGreaterThanOrEqual(6 * (dispatcher['Timeout'] as number));
    expect(id(jobs)).toMatch(/JobsQueue/);
  });

  it('encrypts every queue and denies it non-TLS access', () => {
    const queues = template.findResources('AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(4);
    for (const queue of Object.values(queues)) {
      expect((queue as { Properties: Record<string, unknown> }).Properties['SqsManagedSseEnabled']).toBe(true);
    }
    const { jobs, jobsDlq, notifierFailures, reconcilerDlq } = stack.egress.queues;
    for (const queue of [jobs, jobsDlq, notifierFailures, reconcilerDlq]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(queue)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('has a private, encrypted, TLS-only bucket with EventBridge notifications and access logs', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      LoggingConfiguration: { DestinationBucketName: ref(stack.egress.node.findChild('AccessLogsBucket')) },
      LifecycleConfiguration: {
        Rules: [{ Id: 'recordings', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }],
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: ref(stack.egress.bucket),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    // Native EventBridge notifications: no notifications custom resource (and no Lambda behind it).
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
  });

  it('runs four Node.js 22 arm64 functions with handler index.handler', () => {
    const functions = template.findResources('AWS::Lambda::Function', {
      Properties: { Handler: 'index.handler' },
    });
    expect(Object.keys(functions).sort()).toEqual(
      Object.values(stack.egress.functions)
        .map((fn) => id(fn))
        .sort(),
    );
    for (const fn of Object.values(functions)) {
      expect(fn).toMatchObject({ Properties: { Runtime: 'nodejs22.x', Architectures: ['arm64'] } });
    }
  });

  it('gives each function exactly its environment contract', () => {
    const common = ['EGRESS_TABLE', 'LIVEKIT_URL', 'LIVEKIT_API_KEY', 'LIVEKIT_SECRET_ARN', 'LOG_LEVEL'];
    const expected: Record<string, string[]> = {
      ApiFunction: ['EGRESS_QUEUE_URL', 'EGRESS_CLUSTER'],
      DispatcherFunction: [
        'EGRESS_CLUSTER',
        'EGRESS_SUBNETS',
        'EGRESS_SECURITY_GROUPS',
        'EGRESS_ASSIGN_PUBLIC_IP',
        'RECORDER_TASK_DEFINITION',
        'FORWARDER_TASK_DEFINITION',
        'EGRESS_GPU_CAPACITY_PROVIDER',
        'EGRESS_SPOT',
        'EGRESS_MAX_RECEIVES',
      ],
      ReconcilerFunction: ['EGRESS_CLUSTER', 'EGRESS_QUEUE_URL'],
      NotifierFunction: ['EGRESS_WEBHOOK_URLS', 'EGRESS_EVENT_BUS'],
    };
    for (const [functionId, extra] of Object.entries(expected)) {
      expect(Object.keys(environmentOf(functionId)).sort()).toEqual([...common, ...extra].sort());
    }
    const { recorder, forwarder } = stack.egress.taskDefinitions;
    expect(environmentOf('DispatcherFunction')).toMatchObject({
      EGRESS_ASSIGN_PUBLIC_IP: 'ENABLED',
      EGRESS_SPOT: 'false',
      EGRESS_GPU_CAPACITY_PROVIDER: '',
      EGRESS_MAX_RECEIVES: '5',
      RECORDER_TASK_DEFINITION: ref(recorder),
      FORWARDER_TASK_DEFINITION: ref(forwarder),
      EGRESS_CLUSTER: ref(stack.egress.cluster),
    });
    expect(environmentOf('NotifierFunction')).toMatchObject({
      EGRESS_WEBHOOK_URLS: 'https://hooks.example.com/a,https://hooks.example.com/b',
      EGRESS_EVENT_BUS: ref(stack.egress.eventBus),
    });
    expect(environmentOf('ApiFunction')).toMatchObject({
      LIVEKIT_URL: 'wss://livekit.example.com',
      LIVEKIT_API_KEY: 'APItestkey',
      LIVEKIT_SECRET_ARN: ref(stack.egress.livekitSecret),
      EGRESS_QUEUE_URL: ref(stack.egress.queues.jobs),
      LOG_LEVEL: 'info',
    });
  });

  it('routes POST /twirp/{proxy+} to the API function with payload format 2.0', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /twirp/{proxy+}' });
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: getAtt(stack.egress.functions.api),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: Match.objectLike({ Format: Match.stringLikeRegexp('requestId') }),
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('feeds the dispatcher from the jobs queue and the notifier from the table stream', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: ref(stack.egress.functions.dispatcher),
      EventSourceArn: getAtt(stack.egress.queues.jobs),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: ref(stack.egress.functions.notifier),
      EventSourceArn: getAtt(stack.egress.table, 'StreamArn'),
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: getAtt(stack.egress.queues.notifierFailures) } },
    });
  });

  it('wakes the reconciler on STOPPED tasks of this cluster and every minute, with a DLQ', () => {
    const target = Match.objectLike({
      Arn: getAtt(stack.egress.functions.reconciler),
      DeadLetterConfig: { Arn: getAtt(stack.egress.queues.reconcilerDlq) },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: { clusterArn: [getAtt(stack.egress.cluster)], lastStatus: ['STOPPED'] },
      },
      Targets: [target],
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)', Targets: [target] });
  });

  it('defines the recorder and forwarder tasks: one egress container, 120 s stop timeout, x86_64', () => {
    const sizes = [
      ['RecorderTask', '2048', '4096', 'recorder'],
      ['ForwarderTask', '256', '512', 'forwarder'],
    ] as const;
    for (const [taskId, cpu, memory, prefix] of sizes) {
      expect(propertiesOf(template, id(stack.egress.node.findChild(taskId)))).toMatchObject({
        Cpu: cpu,
        Memory: memory,
        NetworkMode: 'awsvpc',
        RequiresCompatibilities: ['FARGATE'],
        RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
        ContainerDefinitions: [
          {
            Name: 'egress',
            StopTimeout: 120,
            LogConfiguration: { LogDriver: 'awslogs', Options: { 'awslogs-stream-prefix': prefix } },
            LinuxParameters: { InitProcessEnabled: true },
            Environment: expect.arrayContaining([
              { Name: 'EGRESS_BACKEND', Value: 'aws' },
              { Name: 'NODE_ENV', Value: 'production' },
              { Name: 'EGRESS_TABLE', Value: ref(stack.egress.table) },
              { Name: 'EGRESS_BUCKET', Value: ref(stack.egress.bucket) },
              { Name: 'LIVEKIT_URL', Value: 'wss://livekit.example.com' },
              { Name: 'LIVEKIT_API_KEY', Value: 'APItestkey' },
              { Name: 'LIVEKIT_SECRET_ARN', Value: ref(stack.egress.livekitSecret) },
              { Name: 'EGRESS_RECONNECT_WINDOW_S', Value: '60' },
            ]) as unknown,
          },
        ],
      });
    }
  });

  it('offers Fargate and Fargate Spot capacity and no GPU capacity by default', () => {
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: ['FARGATE', 'FARGATE_SPOT'],
    });
    template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });
});
