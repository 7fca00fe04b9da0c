import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { LogLevel, TaskImages } from './props.ts';
import { UniversalEgressPropsError } from './validate-props.ts';

/** The two task kinds: one image and one task definition each. */
export type TaskKind = 'recorder' | 'forwarder';

/** Name of the one container in both task definitions. */
export const CONTAINER_NAME = 'egress';

/** Ignore file (Docker syntax) of the images' build context, shared with `scripts/images/build.sh`. */
export const IMAGE_IGNORE_FILE = 'task-image/.dockerignore';

/** Paths left out of the build context when the context has no {@link IMAGE_IGNORE_FILE}. */
export const DEFAULT_IMAGE_EXCLUDES: readonly string[] = [
  'node_modules',
  '**/node_modules',
  'cdk.out',
  '.git',
  '.data',
  '.tools',
  '.test-artifacts',
  'dist',
  '*.log',
  '.env',
];

/**
 * The patterns CDK stages the build context with: those of {@link IMAGE_IGNORE_FILE} (an allow-list of what the
 * Dockerfiles copy, so edits elsewhere in the repository do not change the image hash), else the defaults.
 */
export function imageContextExcludes(contextDir: string): string[] {
  const file = join(contextDir, IMAGE_IGNORE_FILE);
  if (!existsSync(file)) return [...DEFAULT_IMAGE_EXCLUDES];
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * The image of one task kind, built at deploy time from `task-image/<kind>.Dockerfile` with `contextDir` as
 * build context. Synth only stages the context; it needs no Docker engine.
 */
export function taskImageFromSource(contextDir: string, kind: TaskKind): ecs.ContainerImage {
  const file = `task-image/${kind}.Dockerfile`;
  if (!existsSync(join(contextDir, file))) {
    throw new UniversalEgressPropsError(
      `the ${kind} image is built from ${file}, which does not exist in ${contextDir}; add it, or pass taskImages`,
    );
  }
  // The Dockerfile must be in the staged context even when the ignore file leaves it out (Docker reads it
  // from outside the context; `cdk deploy` builds from the staged copy).
  return ecs.ContainerImage.fromAsset(contextDir, { file, exclude: [...imageContextExcludes(contextDir), `!${file}`] });
}

/** What the task definitions need from the rest of the deployment. */
export interface TaskDefinitionInputs {
  readonly images: TaskImages;
  readonly table: dynamodb.ITable;
  readonly bucket: s3.IBucket;
  readonly secret: secretsmanager.ISecret;
  readonly livekitUrl: string;
  readonly livekitApiKey: string;
  readonly logLevel: LogLevel;
  readonly logRetention: logs.RetentionDays;
  /** Seconds a task tries to get a broken LiveKit connection back. */
  readonly reconnectWindowSeconds: number;
  /** The recorder may also run on the EC2 GPU capacity provider. */
  readonly ec2Compatible: boolean;
}

/** The recorder and forwarder task definitions and the roles they share. */
export interface TaskDefinitions {
  readonly recorder: ecs.TaskDefinition;
  readonly forwarder: ecs.TaskDefinition;
  readonly taskRole: iam.Role;
  readonly executionRole: iam.Role;
}

/** Default sizes; the dispatcher overrides cpu/memory per egress from the sizing table. */
const SIZES: Record<TaskKind, { cpu: string; memoryMiB: string }> = {
  recorder: { cpu: '2048', memoryMiB: '4096' },
  forwarder: { cpu: '256', memoryMiB: '512' },
};

/**
 * Both task definitions: one container `egress`, configured only by environment (the dispatcher adds
 * `EGRESS_ID`), 120 s between SIGTERM and SIGKILL so the task can finish and upload its outputs.
 */
export function createTaskDefinitions(scope: Construct, inputs: TaskDefinitionInputs): TaskDefinitions {
  const taskRole = new iam.Role(scope, 'TaskRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  inputs.table.grantReadWriteData(taskRole);
  // Read and write (multipart uploads, tags, aborts); tasks never delete recordings.
  inputs.bucket.grantRead(taskRole);
  inputs.bucket.grantPut(taskRole);
  inputs.secret.grantRead(taskRole);
  const executionRole = new iam.Role(scope, 'TaskExecutionRole', {
    assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
  });
  const logGroup = new logs.LogGroup(scope, 'TaskLogs', { retention: inputs.logRetention });
  const environment = {
    EGRESS_BACKEND: 'aws',
    EGRESS_TABLE: inputs.table.tableName,
    EGRESS_BUCKET: inputs.bucket.bucketName,
    LIVEKIT_URL: inputs.livekitUrl,
    LIVEKIT_API_KEY: inputs.livekitApiKey,
    LIVEKIT_SECRET_ARN: inputs.secret.secretArn,
    LOG_LEVEL: inputs.logLevel,
    EGRESS_RECONNECT_WINDOW_S: String(inputs.reconnectWindowSeconds),
    NODE_ENV: 'production',
  };
  const define = (kind: TaskKind, id: string, compatibility: ecs.Compatibility): ecs.TaskDefinition => {
    const definition = new ecs.TaskDefinition(scope, id, {
      compatibility,
      networkMode: ecs.NetworkMode.AWS_VPC,
      ...SIZES[kind],
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      taskRole,
      executionRole,
    });
    definition.addContainer(CONTAINER_NAME, {
      image: inputs.images[kind],
      essential: true,
      environment,
      logging: ecs.LogDrivers.awsLogs({ logGroup, streamPrefix: kind }),
      stopTimeout: Duration.seconds(120),
      // An init process as PID 1 forwards SIGTERM and reaps Chromium's and ffmpeg's children.
      linuxParameters: new ecs.LinuxParameters(scope, `${id}LinuxParameters`, { initProcessEnabled: true }),
    });
    return definition;
  };
  const recorder = define(
    'recorder',
    'RecorderTask',
    inputs.ec2Compatible ? ecs.Compatibility.EC2_AND_FARGATE : ecs.Compatibility.FARGATE,
  );
  const forwarder = define('forwarder', 'ForwarderTask', ecs.Compatibility.FARGATE);
  return { recorder, forwarder, taskRole, executionRole };
}
