import { type CfnElement, RemovalPolicy, type Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  baseProps,
  placeholderLambdaDir,
  propertiesOf,
  removeTempDirs,
  synthConstruct,
  synthStack,
} from './test-support.ts';

let lambdaDir: string;
beforeAll(() => {
  lambdaDir = placeholderLambdaDir();
});
afterAll(removeTempDirs);

/** A value as it appears in the template. */
function resolved(stack: Stack, value: unknown): unknown {
  return stack.resolve(value);
}

function dispatcherEnvironment(template: ReturnType<typeof synthStack>['template']): Record<string, unknown> {
  const [fn] = Object.values(
    template.findResources('AWS::Lambda::Function', {
      Properties: { Environment: { Variables: { EGRESS_MAX_RECEIVES: '5' } } },
    }),
  );
  return (fn as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment
    .Variables;
}

describe('UniversalEgress variants', () => {
  it('adds GPU capacity in private subnets: g5 instances, IMDSv2, EC2-compatible recorder, NAT', () => {
    const { stack, template } = synthStack({
      ...baseProps(lambdaDir),
      taskSubnets: 'private',
      gpuCapacity: { instanceType: 'g5.2xlarge', maxInstances: 3 },
    });
    const gpu = resolved(stack, stack.egress.gpuCapacityProvider?.capacityProviderName);
    expect(gpu).toEqual({ Ref: expect.stringMatching(/GpuCapacity/) as unknown });
    template.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: ['FARGATE', 'FARGATE_SPOT', gpu],
    });
    template.hasResourceProperties('AWS::ECS::CapacityProvider', {
      AutoScalingGroupProvider: Match.objectLike({ ManagedTerminationProtection: 'ENABLED' }),
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '0', MaxSize: '3' });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 'g5.2xlarge',
        MetadataOptions: { HttpTokens: 'required' },
        ImageId: { Ref: Match.stringLikeRegexp('ecsoptimizedamiamazonlinux2023gpurecommendedimageid') },
      }),
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 2);
    const recorder = propertiesOf(
      template,
      stack.getLogicalId(stack.egress.taskDefinitions.recorder.node.defaultChild as CfnElement),
    );
    expect([...(recorder['RequiresCompatibilities'] as string[])].sort()).toEqual(['EC2', 'FARGATE']);
    expect(dispatcherEnvironment(template)).toMatchObject({
      EGRESS_GPU_CAPACITY_PROVIDER: gpu,
      EGRESS_ASSIGN_PUBLIC_IP: 'DISABLED',
    });
    expect(dispatcherEnvironment(template)['EGRESS_SUBNETS']).toEqual({
      'Fn::Join': [
        '',
        [
          { Ref: expect.stringMatching(/privateSubnet1Subnet/) as unknown },
          ',',
          { Ref: expect.stringMatching(/privateSubnet2Subnet/) as unknown },
        ],
      ],
    });
  });

  it('passes spot and the log level to the functions', () => {
    const { template } = synthStack({ ...baseProps(lambdaDir), spot: true, logLevel: 'debug' });
    expect(dispatcherEnvironment(template)).toMatchObject({ EGRESS_SPOT: 'true', LOG_LEVEL: 'debug' });
  });

  it('uses an imported VPC, secret, bus and alarm topic, and creates none of them', () => {
    const secretArn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:livekit-AbCdEf';
    const topicArn = 'arn:aws:sns:us-east-1:123456789012:ops';
    const { template } = synthConstruct((scope) => ({
      ...baseProps(lambdaDir),
      vpc: ec2.Vpc.fromVpcAttributes(scope, 'Vpc', {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        publicSubnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'],
        publicSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaaa', 'rtb-0bbbbbbbbbbbbbbbb'],
      }),
      livekitSecret: secretsmanager.Secret.fromSecretCompleteArn(scope, 'Secret', secretArn),
      eventBus: events.EventBus.fromEventBusName(scope, 'Bus', 'default'),
      alarmTopic: sns.Topic.fromTopicArn(scope, 'Topic', topicArn),
    }));
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.resourceCountIs('AWS::Events::EventBus', 0);
    expect(dispatcherEnvironment(template)).toMatchObject({
      EGRESS_SUBNETS: 'subnet-0aaaaaaaaaaaaaaaa,subnet-0bbbbbbbbbbbbbbbb',
      LIVEKIT_SECRET_ARN: secretArn,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EGRESS_EVENT_BUS: 'default' }) },
    });
    expect(
      Object.keys(
        template.findResources('AWS::CloudWatch::Alarm', {
          Properties: { AlarmActions: [topicArn], OKActions: [topicArn] },
        }),
      ),
    ).toHaveLength(5);
  });

  it('applies the output lifecycle, versioning and removal policy', () => {
    const { template } = synthStack({
      ...baseProps(lambdaDir),
      bucketVersioned: true,
      removalPolicy: RemovalPolicy.DESTROY,
      accessLogRetentionDays: 30,
      outputLifecycle: {
        infrequentAccessAfterDays: 30,
        glacierAfterDays: 90,
        expireAfterDays: 365,
        abortIncompleteUploadsAfterDays: 2,
        noncurrentVersionExpireAfterDays: 10,
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'recordings',
            Status: 'Enabled',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 },
            ExpirationInDays: 365,
            NoncurrentVersionExpiration: { NoncurrentDays: 10 },
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
            ],
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 30, Status: 'Enabled' }] },
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });
});
