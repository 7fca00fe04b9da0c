import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { UniversalEgressProps } from './props.ts';

/**
 * The egress table: one item per egress (pk `egressId`), `byRoom` (`roomName`, `createdAt`) for ListEgress,
 * TTL on `expiresAt` for ended records, a NEW_AND_OLD_IMAGES stream for the notifier.
 */
export function createTable(scope: Construct, props: UniversalEgressProps): dynamodb.Table {
  const table = new dynamodb.Table(scope, 'Table', {
    partitionKey: { name: 'egressId', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: 'expiresAt',
    stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  table.addGlobalSecondaryIndex({
    indexName: 'byRoom',
    partitionKey: { name: 'roomName', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'createdAt', type: dynamodb.AttributeType.NUMBER },
    projectionType: dynamodb.ProjectionType.ALL,
  });
  return table;
}

/** The recordings bucket and the bucket that receives its server access logs. */
export interface Buckets {
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;
}

/** Private, encrypted, TLS-only buckets; the recordings bucket sends its events to EventBridge. */
export function createBuckets(scope: Construct, props: UniversalEgressProps): Buckets {
  const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
  const accessLogsBucket = new s3.Bucket(scope, 'AccessLogsBucket', {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [{ expiration: Duration.days(props.accessLogRetentionDays ?? 90) }],
    removalPolicy,
  });
  const bucket = new s3.Bucket(scope, 'Bucket', {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: props.bucketVersioned ?? false,
    serverAccessLogsBucket: accessLogsBucket,
    serverAccessLogsPrefix: 'recordings-bucket/',
    lifecycleRules: outputLifecycleRules(props),
    removalPolicy,
  });
  // EventBridge notifications through the native CloudFormation property. The L2 `eventBridgeEnabled: true`
  // would deploy CDK's notifications custom resource (a Lambda with `s3:PutBucketNotification` on `*`) for
  // the same effect.
  const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
  cfnBucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
  return { bucket, accessLogsBucket };
}

function outputLifecycleRules(props: UniversalEgressProps): s3.LifecycleRule[] {
  const lifecycle = props.outputLifecycle ?? {};
  const transitions: s3.Transition[] = [];
  if (lifecycle.infrequentAccessAfterDays !== undefined) {
    transitions.push({
      storageClass: s3.StorageClass.INFREQUENT_ACCESS,
      transitionAfter: Duration.days(lifecycle.infrequentAccessAfterDays),
    });
  }
  if (lifecycle.glacierAfterDays !== undefined) {
    transitions.push({
      storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
      transitionAfter: Duration.days(lifecycle.glacierAfterDays),
    });
  }
  const days = (value: number | undefined): Duration | undefined =>
    value === undefined ? undefined : Duration.days(value);
  const noncurrent = props.bucketVersioned === true ? days(lifecycle.noncurrentVersionExpireAfterDays) : undefined;
  return [
    {
      id: 'recordings',
      abortIncompleteMultipartUploadAfter: Duration.days(lifecycle.abortIncompleteUploadsAfterDays ?? 7),
      expiration: days(lifecycle.expireAfterDays),
      transitions: transitions.length > 0 ? transitions : undefined,
      noncurrentVersionExpiration: noncurrent,
    },
  ];
}

/**
 * The LiveKit API secret: the one given, or a new secret without a chosen value (CloudFormation fills it with
 * a random string the user replaces with `put-secret-value`). No secret value is ever part of the template.
 */
export function livekitSecret(
  scope: Construct,
  props: UniversalEgressProps,
): { readonly secret: secretsmanager.ISecret; readonly created: secretsmanager.Secret | undefined } {
  if (props.livekitSecret !== undefined) return { secret: props.livekitSecret, created: undefined };
  const created = new secretsmanager.Secret(scope, 'LivekitApiSecret', {
    description:
      'LiveKit API secret for universal egress (the plain secret string). Set it with aws secretsmanager put-secret-value.',
  });
  return { secret: created, created };
}
