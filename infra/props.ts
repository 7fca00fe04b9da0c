import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';

/** Where the egress tasks (and GPU instances) get their network interfaces. */
export type TaskSubnetType = 'public' | 'private';

/** Log levels the Lambdas and tasks understand (`LOG_LEVEL`). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** An EC2 capacity provider with NVIDIA GPUs, for NVENC encoding of heavy composites. */
export interface GpuCapacityOptions {
  /**
   * EC2 instance type, a `g4dn` (NVIDIA T4) or `g5` (NVIDIA A10G) size.
   *
   * @default 'g4dn.xlarge' — 4 vCPU, 16 GiB, one T4
   */
  readonly instanceType?: string;
  /**
   * Most instances the capacity provider may run at once; it scales from zero with ECS managed scaling.
   *
   * @default 2
   */
  readonly maxInstances?: number;
}

/** Lifecycle of the recordings in the output bucket. All numbers are days, whole and positive. */
export interface OutputLifecycleOptions {
  /**
   * Delete recordings this many days after they were written.
   *
   * @default - recordings are kept until you delete them
   */
  readonly expireAfterDays?: number;
  /**
   * Move recordings to S3 Standard-IA this many days after they were written (S3 requires ≥ 30).
   *
   * @default - recordings stay in S3 Standard
   */
  readonly infrequentAccessAfterDays?: number;
  /**
   * Move recordings to S3 Glacier Instant Retrieval this many days after they were written.
   *
   * @default - recordings are never archived
   */
  readonly glacierAfterDays?: number;
  /**
   * Abort multipart uploads still incomplete after this many days (a task killed before it could complete its
   * upload leaves one behind; its parts are billed until aborted).
   *
   * @default 7
   */
  readonly abortIncompleteUploadsAfterDays?: number;
  /**
   * With versioning on, delete replaced or deleted versions this many days after they became noncurrent.
   *
   * @default - noncurrent versions are kept (only relevant when `bucketVersioned` is true)
   */
  readonly noncurrentVersionExpireAfterDays?: number;
}

/** Container images of the two egress tasks. */
export interface TaskImages {
  /** The composite recorder (Chromium + Xvfb + PulseAudio + ffmpeg). */
  readonly recorder: ecs.ContainerImage;
  /** The small track forwarder (Node only). */
  readonly forwarder: ecs.ContainerImage;
}

/** Configuration of {@link UniversalEgress}. Only `livekitUrl` and `livekitApiKey` are required. */
export interface UniversalEgressProps {
  /** URL of the LiveKit server the tasks join (`wss://`, `ws://`, `https://` or `http://`). */
  readonly livekitUrl: string;
  /** LiveKit API key; callers sign their tokens with its secret, and the tasks join rooms with it. */
  readonly livekitApiKey: string;
  /**
   * Secrets Manager secret whose string value is the LiveKit API secret (the plain secret, not JSON).
   *
   * @default - a new secret holding a random placeholder that Secrets Manager generates (so no value is ever in
   *   the template); until you replace it with
   *   `aws secretsmanager put-secret-value --secret-id <LivekitSecretArn output> --secret-string <secret>`,
   *   every call is rejected as unauthenticated
   */
  readonly livekitSecret?: secretsmanager.ISecret;
  /**
   * URLs that receive every `egress_started/updated/ended` webhook (LiveKit format, signed).
   *
   * @default - no deployment-wide webhooks (per-request `webhooks[]` still work)
   */
  readonly webhookUrls?: readonly string[];
  /**
   * VPC the tasks run in.
   *
   * @default - a new VPC across 2 AZs with public subnets (and private subnets with NAT gateways when
   *   `taskSubnets` is `'private'`), S3 and DynamoDB gateway endpoints, rejected-traffic flow logs to the
   *   access-log bucket
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of the tasks. `'public'`: a public IP per task, no NAT gateway to pay for. `'private'`: no public
   * IP, outbound through the VPC's NAT gateways (required for GPU capacity: EC2 tasks cannot get public IPs).
   *
   * @default 'public'
   */
  readonly taskSubnets?: TaskSubnetType;
  /**
   * NAT gateways of the new VPC when `taskSubnets` is `'private'` (ignored with an imported VPC).
   *
   * @default 1
   */
  readonly natGateways?: number;
  /**
   * Adds an EC2 capacity provider with NVIDIA GPUs (g4dn/g5, ECS GPU-optimized AMI) to the cluster. Requires
   * `taskSubnets: 'private'`.
   *
   * @default - no GPU capacity; `EGRESS_GPU_CAPACITY_PROVIDER` is empty and every task runs on Fargate
   */
  readonly gpuCapacity?: GpuCapacityOptions;
  /**
   * Run tasks on Fargate Spot where the sizing table allows it (a Spot interruption gives the task two minutes
   * to finish its outputs — a recording ends early).
   *
   * @default false — on-demand Fargate only
   */
  readonly spot?: boolean;
  /**
   * Images of the recorder and forwarder tasks.
   *
   * @default - built by `cdk deploy` from `task-image/recorder.Dockerfile` and `task-image/forwarder.Dockerfile`
   *   with the repository root as build context (synth only stages the files; no Docker needed to synth)
   */
  readonly taskImages?: TaskImages;
  /**
   * Folder holding the Lambda bundles `<name>/index.mjs` for api, dispatcher, reconciler and notifier.
   *
   * @default - `dist/lambda` in the repository root, written by `node scripts/build.mjs`; synth fails with
   *   that instruction when a bundle is missing
   */
  readonly lambdaAssetDir?: string;
  /**
   * Keep recordings' older versions in the output bucket.
   *
   * @default false
   */
  readonly bucketVersioned?: boolean;
  /**
   * Lifecycle of the recordings in the output bucket.
   *
   * @default - recordings kept forever; incomplete multipart uploads aborted after 7 days
   */
  readonly outputLifecycle?: OutputLifecycleOptions;
  /**
   * Days S3 server access logs (and VPC flow logs of a new VPC) are kept in the access-log bucket.
   *
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
  /**
   * What happens to the output bucket, the access-log bucket and the egress table when the stack is deleted.
   *
   * @default RemovalPolicy.RETAIN — recordings and records outlive the stack
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the Lambda, task and API access logs.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * `LOG_LEVEL` of the Lambdas.
   *
   * @default 'info'
   */
  readonly logLevel?: LogLevel;
  /**
   * Bus that receives the `Egress Started/Updated/Ended` events from the notifier.
   *
   * @default - a new custom event bus (its name is the `EventBusName` output)
   */
  readonly eventBus?: events.IEventBus;
  /**
   * Topic notified when an alarm (dead letters, failed egresses, failed task launches) goes off or clears.
   *
   * @default - alarms are created without actions
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Requests per second the HTTP API accepts (steady rate; the burst is twice that).
   *
   * @default 50
   */
  readonly apiRateLimit?: number;
  /**
   * Seconds a task tries to get a broken LiveKit connection back (resume, rejoin) before it finalises its
   * outputs and fails the egress; the tasks' `EGRESS_RECONNECT_WINDOW_S`. 0 ends an egress at the first break.
   *
   * @default 60
   */
  readonly reconnectWindowSeconds?: number;
}
