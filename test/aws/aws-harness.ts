import { resolve } from 'node:path';
import { CreateTableCommand, DynamoDBClient, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBStreamsClient,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
} from '@aws-sdk/client-dynamodb-streams';
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  EC2Client,
  ModifyVpcAttributeCommand,
} from '@aws-sdk/client-ec2';
import { CreateEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { DynamoDBStreamEvent, EventBridgeEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { LiveKitServer } from '#bench/livekit-server.ts';
import type { MotoServer } from '#bench/moto-server.ts';
import { createLogger } from '#shared/logger.ts';
import { ManagedProcess, type ProcessExit } from '#shared/managed-process.ts';

const region = 'us-east-1';

/** The deployment's resources in moto, created as the CDK stack would (same keys, index, stream). */
export interface AwsDeployment {
  readonly table: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly bucket: string;
  readonly secretArn: string;
  readonly cluster: string;
  readonly bus: string;
  /** Environment of the Lambdas, as the construct sets it. */
  readonly lambdaEnv: Record<string, string>;
  /** Environment of the task definitions, as the construct sets it. */
  readonly taskEnv: Record<string, string>;
}

export async function createDeployment(
  moto: MotoServer,
  livekit: LiveKitServer,
  webhookUrls: string[],
): Promise<AwsDeployment> {
  const id = Math.random().toString(36).slice(2, 8);
  const table = `egress-${id}`;
  const ddb = new DynamoDBClient({ region });
  await ddb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'egressId', AttributeType: 'S' },
        { AttributeName: 'roomName', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: 'egressId', KeyType: 'HASH' }],
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
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await ddb.send(new DescribeTableCommand({ TableName: table }));
  const sqs = new SQSClient({ region });
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `jobs-${id}` }))).QueueUrl ?? '';
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const bucket = `egress-out-${id}`;
  await new S3Client({ region, forcePathStyle: true }).send(new CreateBucketCommand({ Bucket: bucket }));
  const secret = await new SecretsManagerClient({ region }).send(
    new CreateSecretCommand({ Name: `livekit-${id}`, SecretString: livekit.apiSecret }),
  );
  const ecs = new ECSClient({ region });
  const cluster = `egress-${id}`;
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  for (const [family, cpu, memory] of [
    ['recorder', '2048', '4096'],
    ['forwarder', '256', '512'],
  ] as const) {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: `${family}-${id}`,
        requiresCompatibilities: ['FARGATE'],
        networkMode: 'awsvpc',
        cpu,
        memory,
        // moto needs a container-level memory to place a task.
        containerDefinitions: [{ name: 'egress', image: `universal-egress/${family}`, memory: Number(memory) }],
      }),
    );
  }
  const ec2 = new EC2Client({ region });
  const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.42.0.0/16' }))).Vpc?.VpcId;
  // As CDK VPCs are (and moto needs it to attach a task's network interface).
  await ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpc, EnableDnsHostnames: { Value: true } }));
  const subnets: string[] = [];
  for (const [cidr, az] of [
    ['10.42.1.0/24', 'us-east-1a'],
    ['10.42.2.0/24', 'us-east-1b'],
  ] as const) {
    const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: cidr, AvailabilityZone: az }));
    subnets.push(subnet.Subnet?.SubnetId ?? '');
  }
  const sg = await ec2.send(
    new CreateSecurityGroupCommand({ GroupName: `tasks-${id}`, Description: 'egress tasks', VpcId: vpc }),
  );
  const bus = `egress-events-${id}`;
  await new EventBridgeClient({ region }).send(new CreateEventBusCommand({ Name: bus }));
  const common = {
    EGRESS_TABLE: table,
    LIVEKIT_URL: livekit.url,
    LIVEKIT_API_KEY: livekit.apiKey,
    LIVEKIT_SECRET_ARN: secret.ARN ?? '',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
  };
  return {
    table,
    queueUrl,
    queueArn: attrs.Attributes?.['QueueArn'] ?? '',
    bucket,
    secretArn: secret.ARN ?? '',
    cluster,
    bus,
    lambdaEnv: {
      ...common,
      EGRESS_QUEUE_URL: queueUrl,
      EGRESS_CLUSTER: cluster,
      EGRESS_SUBNETS: subnets.join(','),
      EGRESS_SECURITY_GROUPS: sg.GroupId ?? '',
      EGRESS_ASSIGN_PUBLIC_IP: 'ENABLED',
      RECORDER_TASK_DEFINITION: `recorder-${id}`,
      FORWARDER_TASK_DEFINITION: `forwarder-${id}`,
      EGRESS_MAX_RECEIVES: '3',
      EGRESS_WEBHOOK_URLS: webhookUrls.join(','),
      EGRESS_EVENT_BUS: bus,
    },
    taskEnv: { ...common, EGRESS_BACKEND: 'aws', EGRESS_BUCKET: bucket, NODE_ENV: 'production' },
  };
}

/** Receives waiting job messages and hands them to the dispatcher handler as one SQS event. */
export async function deliverJobs(
  deployment: AwsDeployment,
  dispatcher: (event: SQSEvent) => Promise<SQSBatchResponse>,
  options: { skipBackoff?: boolean } = {},
): Promise<{ delivered: number; failures: number }> {
  const sqs = new SQSClient({ region });
  const res = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: deployment.queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 1,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  const messages = res.Messages ?? [];
  if (messages.length === 0) return { delivered: 0, failures: 0 };
  const event: SQSEvent = {
    Records: messages.map((m) => ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      attributes: {
        ApproximateReceiveCount: m.Attributes?.['ApproximateReceiveCount'] ?? '1',
        SentTimestamp: m.Attributes?.['SentTimestamp'] ?? '0',
        SenderId: 'moto',
        ApproximateFirstReceiveTimestamp: m.Attributes?.['ApproximateFirstReceiveTimestamp'] ?? '0',
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: deployment.queueArn,
      awsRegion: region,
    })),
  };
  const out = await dispatcher(event);
  const failed = new Set(out.batchItemFailures.map((f) => f.itemIdentifier));
  for (const m of messages) {
    if (!failed.has(m.MessageId ?? '')) {
      // What Lambda's event source mapping does with the successes of a batch.
      await sqs.send(new DeleteMessageCommand({ QueueUrl: deployment.queueUrl, ReceiptHandle: m.ReceiptHandle ?? '' }));
    } else if (options.skipBackoff === true) {
      // Plays the passing of the dispatcher's backoff, so a retry can be received at once.
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: deployment.queueUrl,
          ReceiptHandle: m.ReceiptHandle ?? '',
          VisibilityTimeout: 0,
        }),
      );
    }
  }
  return { delivered: messages.length, failures: out.batchItemFailures.length };
}

/** Every task moto holds for the cluster (RunTask records them; nothing runs them). */
export async function listTasks(deployment: AwsDeployment): Promise<Task[]> {
  const ecs = new ECSClient({ region });
  const arns = (await ecs.send(new ListTasksCommand({ cluster: deployment.cluster }))).taskArns ?? [];
  if (arns.length === 0) return [];
  return (await ecs.send(new DescribeTasksCommand({ cluster: deployment.cluster, tasks: arns }))).tasks ?? [];
}

/** A task the harness runs in Fargate's place: the real entrypoint, with the env the task would get. */
export interface PlayedTask {
  readonly taskArn: string;
  readonly egressId: string;
  readonly process: ManagedProcess;
  readonly output: string[];
}

/** Plays Fargate for `task`: reads its RunTask overrides and runs the task entrypoint locally against moto. */
export function playFargate(deployment: AwsDeployment, moto: MotoServer, task: Task): PlayedTask {
  const override = task.overrides?.containerOverrides?.find((o) => o.name === 'egress');
  const env: Record<string, string> = { ...deployment.taskEnv, ...moto.env };
  for (const e of override?.environment ?? []) if (e.name !== undefined && e.value !== undefined) env[e.name] = e.value;
  const output: string[] = [];
  const logger = createLogger({}, { write: (line) => output.push(line), level: 'debug' });
  const proc = new ManagedProcess(process.execPath, [resolve('dist/task/main.mjs')], {
    name: 'fargate-task',
    logger,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    outputLevel: 'info',
  });
  return { taskArn: task.taskArn ?? '', egressId: env['EGRESS_ID'] ?? '', process: proc, output };
}

/** The ECS "Task State Change" event EventBridge sends when `task` stops with `exit`. */
export function taskStoppedEvent(task: Task, exit: ProcessExit, reason: string): EventBridgeEvent<string, unknown> {
  return {
    version: '0',
    id: `${Date.now()}`,
    'detail-type': 'ECS Task State Change',
    source: 'aws.ecs',
    account: '123456789012',
    time: new Date().toISOString(),
    region,
    resources: [task.taskArn ?? ''],
    detail: {
      taskArn: task.taskArn,
      clusterArn: task.clusterArn,
      lastStatus: 'STOPPED',
      stoppedReason: reason,
      stopCode: 'EssentialContainerExited',
      containers: [{ name: 'egress', exitCode: exit.code ?? 137 }],
      overrides: task.overrides,
    },
  };
}

/** Reads the table's stream from where it left off and returns the new records as a Lambda event. */
export function streamReader(deployment: AwsDeployment): () => Promise<DynamoDBStreamEvent> {
  const client = new DynamoDBStreamsClient({ region });
  const iterators = new Map<string, string>();
  return async () => {
    const streamArn = (await client.send(new ListStreamsCommand({ TableName: deployment.table }))).Streams?.[0]
      ?.StreamArn;
    if (streamArn === undefined) throw new Error('the table has no stream');
    const shards =
      (await client.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription?.Shards ?? [];
    const records: DynamoDBStreamEvent['Records'] = [];
    for (const shard of shards) {
      const shardId = shard.ShardId ?? '';
      let iterator = iterators.get(shardId);
      iterator ??= (
        await client.send(
          new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
        )
      ).ShardIterator;
      if (iterator === undefined) continue;
      const res = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
      for (const r of res.Records ?? []) records.push(r as unknown as DynamoDBStreamEvent['Records'][number]);
      if (res.NextShardIterator !== undefined) iterators.set(shardId, res.NextShardIterator);
    }
    return { Records: records };
  };
}
