import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { UniversalEgressProps } from './props.ts';
import { UniversalEgress } from './universal-egress.ts';

/** Props of {@link UniversalEgressStack}. */
export interface UniversalEgressStackProps extends StackProps {
  /** Configuration of the deployment. */
  readonly egress: UniversalEgressProps;
  /**
   * Id of an existing VPC, imported by lookup (needs credentials and an explicit `env` at synth).
   *
   * @default - `egress.vpc`, or a new VPC
   */
  readonly vpcId?: string;
  /**
   * Complete ARN of an existing secret holding the LiveKit API secret.
   *
   * @default - `egress.livekitSecret`, or a new secret
   */
  readonly livekitSecretArn?: string;
  /**
   * ARN of an SNS topic the alarms notify.
   *
   * @default - `egress.alarmTopic`, or no alarm actions
   */
  readonly alarmTopicArn?: string;
}

/**
 * A stack holding one {@link UniversalEgress} (construct id `Egress`) and its outputs: `ApiUrl`, `BucketName`,
 * `TableName`, `QueueUrl`, `EventBusName`, `LivekitSecretArn`.
 */
export class UniversalEgressStack extends Stack {
  /** The deployment. */
  public readonly egress: UniversalEgress;

  constructor(scope: Construct, id: string, props: UniversalEgressStackProps) {
    super(scope, id, props);
    const vpc = props.vpcId === undefined ? undefined : ec2.Vpc.fromLookup(this, 'ImportedVpc', { vpcId: props.vpcId });
    const secretArn = props.livekitSecretArn;
    const topicArn = props.alarmTopicArn;
    this.egress = new UniversalEgress(this, 'Egress', {
      ...props.egress,
      vpc: vpc ?? props.egress.vpc,
      livekitSecret:
        secretArn === undefined
          ? props.egress.livekitSecret
          : secretsmanager.Secret.fromSecretCompleteArn(this, 'ImportedLivekitSecret', secretArn),
      alarmTopic:
        topicArn === undefined ? props.egress.alarmTopic : sns.Topic.fromTopicArn(this, 'AlarmTopic', topicArn),
    });
    const output = (name: string, value: string, description: string): void => {
      new CfnOutput(this, name, { value, description });
    };
    output('ApiUrl', this.egress.apiUrl, 'URL to give EgressClient (livekit.Egress Twirp service)');
    output('BucketName', this.egress.bucket.bucketName, 'Bucket of the recordings');
    output('TableName', this.egress.table.tableName, 'Egress table');
    output('QueueUrl', this.egress.queues.jobs.queueUrl, 'Jobs queue (messages carry only {egressId})');
    output('EventBusName', this.egress.eventBus.eventBusName, 'Bus of the Egress Started/Updated/Ended events');
    output(
      'LivekitSecretArn',
      this.egress.livekitSecret.secretArn,
      'Put the LiveKit API secret here: aws secretsmanager put-secret-value --secret-id <arn> --secret-string <secret>',
    );
  }
}
