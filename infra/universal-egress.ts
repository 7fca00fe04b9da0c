import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { type Alarms, createAlarms } from './alarms.ts';
import { createCompute } from './compute.ts';
import { createBuckets, createTable, livekitSecret } from './data.ts';
import { createFunctions, DEFAULT_LAMBDA_ASSET_DIR, type FunctionName } from './functions.ts';
import { createEventBus, createQueues, MAX_RECEIVES, type Queues } from './messaging.ts';
import { acknowledgeNagFindings } from './nag-acknowledgements.ts';
import { REPO_ROOT } from './paths.ts';
import { grantPermissions } from './permissions.ts';
import type { UniversalEgressProps } from './props.ts';
import { createTaskDefinitions, type TaskDefinitions, taskImageFromSource } from './task-definitions.ts';
import { connectTriggers, createHttpApi } from './triggers.ts';
import { validateProps } from './validate-props.ts';

/**
 * The whole AWS deployment of universal egress: a LiveKit-compatible `livekit.Egress` Twirp API that runs one
 * ECS task per egress.
 *
 * Construct ids are a contract — renaming one replaces the resource, and the table and bucket hold user data.
 * The children of this construct (infra/README.md lists them with what they are):
 * - network: `Vpc` (without a `vpc` prop; its children include `S3Endpoint`, `DynamoDbEndpoint`, `FlowLogs`),
 *   `TaskSecurityGroup`, `Cluster`; with `gpuCapacity` also `GpuInstanceRole`, `GpuLaunchTemplate`,
 *   `GpuInstances`, `GpuCapacity`;
 * - data: `Table`, `Bucket`, `AccessLogsBucket`, `LivekitApiSecret` (without a `livekitSecret` prop);
 * - messaging: `JobsQueue`, `JobsDlq`, `NotifierFailures`, `ReconcilerDlq`, `EventBus` (without an `eventBus`
 *   prop);
 * - tasks: `TaskRole`, `TaskExecutionRole`, `TaskLogs`, `RecorderTask`, `ForwarderTask` (and their
 *   `…LinuxParameters`);
 * - functions: `ApiFunction`, `DispatcherFunction`, `ReconcilerFunction`, `NotifierFunction`, each with
 *   `<id>Role` and `<id>Logs`; `HttpApi`, `ApiAccessLogs`, `TaskStoppedRule`, `SweepSchedule`;
 * - alarms: `JobsDlqAlarm`, `NotifierFailuresAlarm`, `ReconcilerDlqAlarm`, `EgressFailedAlarm`,
 *   `TaskLaunchFailedAlarm`.
 */
export class UniversalEgress extends Construct {
  /** Base URL to give `EgressClient` (Twirp paths are appended to it). */
  public readonly apiUrl: string;
  /** The HTTP API. */
  public readonly httpApi: apigwv2.HttpApi;
  /** The egress table. */
  public readonly table: dynamodb.Table;
  /** The recordings bucket (default destination of file, segment and image outputs). */
  public readonly bucket: s3.Bucket;
  /** The queues: jobs and the dead-letter queues. */
  public readonly queues: Queues;
  /** The secret holding the LiveKit API secret. */
  public readonly livekitSecret: secretsmanager.ISecret;
  /** The bus of the `Egress Started/Updated/Ended` events. */
  public readonly eventBus: events.IEventBus;
  /** The VPC the tasks run in. */
  public readonly vpc: ec2.IVpc;
  /** The ECS cluster. */
  public readonly cluster: ecs.Cluster;
  /** The EC2 GPU capacity provider, when `gpuCapacity` is set. */
  public readonly gpuCapacityProvider: ecs.AsgCapacityProvider | undefined;
  /** The recorder and forwarder task definitions and their roles. */
  public readonly taskDefinitions: TaskDefinitions;
  /** The Lambda functions. */
  public readonly functions: Readonly<Record<FunctionName, lambda.Function>>;
  /** The alarms. */
  public readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: UniversalEgressProps) {
    super(scope, id);
    // S3 server access logs through a bucket policy (not the log-delivery ACL, which Object Ownership
    // "bucket owner enforced" forbids), whatever the app's feature flags say.
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const settings = validateProps(props);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const logLevel = props.logLevel ?? 'info';

    this.table = createTable(this, props);
    const { bucket, accessLogsBucket } = createBuckets(this, props);
    this.bucket = bucket;
    const secret = livekitSecret(this, props);
    this.livekitSecret = secret.secret;
    this.queues = createQueues(this);
    this.eventBus = createEventBus(this, props);
    const compute = createCompute(this, props, { ...settings, flowLogBucket: accessLogsBucket });
    this.vpc = compute.vpc;
    this.cluster = compute.cluster;
    this.gpuCapacityProvider = compute.gpu?.capacityProvider;

    this.taskDefinitions = createTaskDefinitions(this, {
      images: props.taskImages ?? {
        recorder: taskImageFromSource(REPO_ROOT, 'recorder'),
        forwarder: taskImageFromSource(REPO_ROOT, 'forwarder'),
      },
      table: this.table,
      bucket,
      secret: this.livekitSecret,
      livekitUrl: props.livekitUrl,
      livekitApiKey: props.livekitApiKey,
      logLevel,
      logRetention,
      reconnectWindowSeconds: props.reconnectWindowSeconds ?? 60,
      ec2Compatible: compute.gpu !== undefined,
    });

    const cluster = this.cluster.clusterName;
    this.functions = createFunctions(this, {
      assetDir: props.lambdaAssetDir ?? DEFAULT_LAMBDA_ASSET_DIR,
      logRetention,
      environment: {
        EGRESS_TABLE: this.table.tableName,
        LIVEKIT_URL: props.livekitUrl,
        LIVEKIT_API_KEY: props.livekitApiKey,
        LIVEKIT_SECRET_ARN: this.livekitSecret.secretArn,
        LOG_LEVEL: logLevel,
      },
      extraEnvironment: {
        api: { EGRESS_QUEUE_URL: this.queues.jobs.queueUrl, EGRESS_CLUSTER: cluster },
        dispatcher: {
          EGRESS_CLUSTER: cluster,
          EGRESS_SUBNETS: compute.taskSubnets.subnetIds.join(','),
          EGRESS_SECURITY_GROUPS: compute.taskSecurityGroup.securityGroupId,
          EGRESS_ASSIGN_PUBLIC_IP: compute.assignPublicIp ? 'ENABLED' : 'DISABLED',
          RECORDER_TASK_DEFINITION: this.taskDefinitions.recorder.taskDefinitionArn,
          FORWARDER_TASK_DEFINITION: this.taskDefinitions.forwarder.taskDefinitionArn,
          EGRESS_GPU_CAPACITY_PROVIDER: compute.gpu?.capacityProvider.capacityProviderName ?? '',
          EGRESS_SPOT: String(props.spot ?? false),
          EGRESS_MAX_RECEIVES: String(MAX_RECEIVES),
        },
        reconciler: { EGRESS_CLUSTER: cluster, EGRESS_QUEUE_URL: this.queues.jobs.queueUrl },
        notifier: {
          EGRESS_WEBHOOK_URLS: (props.webhookUrls ?? []).join(','),
          EGRESS_EVENT_BUS: this.eventBus.eventBusName,
        },
      },
    });

    this.httpApi = createHttpApi(this, this.functions.api, {
      rateLimit: props.apiRateLimit ?? 50,
      logRetention,
    });
    this.apiUrl = this.httpApi.apiEndpoint;
    connectTriggers(this, { functions: this.functions, queues: this.queues, table: this.table, cluster: this.cluster });
    grantPermissions({
      functions: this.functions,
      table: this.table,
      jobs: this.queues.jobs,
      secret: this.livekitSecret,
      cluster: this.cluster,
      tasks: this.taskDefinitions,
      eventBus: this.eventBus,
    });
    this.alarms = createAlarms(this, this.queues, props.alarmTopic);
    acknowledgeNagFindings({
      table: this.table,
      bucket,
      cluster: this.cluster,
      tasks: this.taskDefinitions,
      functions: this.functions,
      httpApi: this.httpApi,
      createdSecret: secret.created,
      failureQueues: [this.queues.notifierFailures, this.queues.reconcilerDlq],
      gpu:
        compute.gpu === undefined
          ? undefined
          : { role: compute.gpu.instanceRole, autoScalingGroup: compute.gpu.autoScalingGroup },
    });
  }
}
