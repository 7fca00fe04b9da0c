import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DirectFileOutput, EgressStatus, S3Upload } from '@livekit/protocol';
import { frameNumbers, mediaDuration, probe } from '#bench/media-check.ts';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  DynamoDBBatchResponse,
  DynamoDBStreamEvent,
  EventBridgeEvent,
  SQSBatchResponse,
  SQSEvent,
} from 'aws-lambda';
import { EgressClient, WebhookReceiver } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy } from '#bench/fault-proxy.ts';
import { startLambdaHttpBridge } from '#bench/lambda-http-bridge.ts';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { waitForStatus } from '#bench/local-fixture.ts';
import { startMotoServer, type MotoServer } from '#bench/moto-server.ts';
import { startSyntheticPublisher, type SyntheticPublisher } from '#bench/synthetic-publisher.ts';
import { startWebhookReceiver, type WebhookReceiverServer } from '#bench/webhook-receiver.ts';
import { startWsReceiver, type WsReceiver } from '#bench/ws-receiver.ts';
import { DynamoDbEgressStore } from '#adapters/aws/dynamodb-store.ts';
import { checkpointMs } from '#adapters/aws/s3-storage.ts';
import {
  createDeployment,
  deliverJobs,
  listTasks,
  playFargate,
  streamReader,
  taskStoppedEvent,
  type AwsDeployment,
  type PlayedTask,
} from './aws-harness.ts';

type Handlers = {
  api: (e: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  dispatcher: (e: SQSEvent) => Promise<SQSBatchResponse>;
  reconciler: (e: EventBridgeEvent<string, unknown>) => Promise<void>;
  notifier: (e: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
};

const runTask = 'AmazonEC2ContainerServiceV20141113.RunTask';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('AWS path against moto: API → SQS → dispatcher → ECS → task → stream → webhooks → reconciler', () => {
  let livekit: LiveKitServer;
  let moto: MotoServer;
  let proxy: Awaited<ReturnType<typeof startFaultProxy>>;
  let hooks: WebhookReceiverServer;
  let ws: WsReceiver;
  let publisher: SyntheticPublisher;
  let videoPublisher: SyntheticPublisher;
  const s3 = new S3Client({ region: 'us-east-1', forcePathStyle: true });
  let deployment: AwsDeployment;
  let handlers: Handlers;
  let bridge: Awaited<ReturnType<typeof startLambdaHttpBridge>>;
  let client: EgressClient;
  const played: PlayedTask[] = [];
  const logs: string[] = [];
  const stderrWrite = process.stderr.write.bind(process.stderr);

  beforeAll(async () => {
    livekit = await startLiveKitServer();
    moto = await startMotoServer();
    proxy = await startFaultProxy(moto.endpoint);
    hooks = await startWebhookReceiver();
    ws = await startWsReceiver();
    Object.assign(process.env, moto.env);
    deployment = await createDeployment(moto, livekit, [hooks.url]);
    // The Lambdas' environment; ECS calls go through the fault proxy.
    Object.assign(process.env, deployment.lambdaEnv, { AWS_ENDPOINT_URL_ECS: proxy.url });
    process.stderr.write = (chunk: string | Uint8Array, ...rest: never[]) => {
      logs.push(String(chunk));
      return stderrWrite(chunk, ...rest);
    };
    handlers = {
      api: (await import('#handlers/api.ts')).handler,
      dispatcher: (await import('#handlers/dispatcher.ts')).handler,
      reconciler: (await import('#handlers/reconciler.ts')).handler,
      notifier: (await import('#handlers/notifier.ts')).handler,
    };
    bridge = await startLambdaHttpBridge(handlers.api);
    client = new EgressClient(bridge.url, livekit.apiKey, livekit.apiSecret);
    videoPublisher = await startSyntheticPublisher({
      url: livekit.url,
      apiKey: livekit.apiKey,
      apiSecret: livekit.apiSecret,
      room: 'aws-room',
      identity: 'cam',
      video: { codec: 'vp8' },
    });
    publisher = await startSyntheticPublisher({
      url: livekit.url,
      apiKey: livekit.apiKey,
      apiSecret: livekit.apiSecret,
      room: 'aws-room',
      identity: 'mic',
      audio: true,
    });
  });

  afterAll(async () => {
    process.stderr.write = stderrWrite;
    await Promise.all(played.map((t) => t.process.stop('SIGKILL')));
    await publisher?.stop();
    await videoPublisher?.stop();
    await bridge?.stop();
    await ws?.stop();
    await hooks?.stop();
    await proxy?.stop();
    await moto?.stop();
    await livekit?.stop();
  });

  const tasksOf = async (egressId: string) =>
    (await listTasks(deployment)).filter((t) =>
      t.overrides?.containerOverrides?.some((o) => o.environment?.some((e) => e.value === egressId)),
    );

  /** Runs the egress's task, SIGKILLs it 12 s after ACTIVE and reconciles: the egress's FAILED info. */
  /**
   * What a task killed 12 s after ACTIVE must have kept: frames reach the file 1 s after they arrive (the
   * stop hold), a WebM cluster is closed every second at most, and the bytes not yet in a part are saved
   * every {@link checkpointMs}: at most 6 s are lost (one CI run kept 6.9 s; the earlier bound of 8 s left
   * out the hold and the cluster).
   */
  const minKeptS = 12 - 1 - 1 - checkpointMs / 1000;

  const killedAfter12s = async (egressId: string) => {
    await deliverJobs(deployment, handlers.dispatcher);
    const [task] = await tasksOf(egressId);
    const run = playFargate(deployment, moto, task!);
    played.push(run);
    const active = await waitForStatus(client, egressId, EgressStatus.EGRESS_ACTIVE, 10_000);
    await sleep(Math.max(0, Number(active.updatedAt / 1_000_000n) + 12_000 - Date.now()));
    await run.process.stop('SIGKILL');
    const exit = await run.process.exited;
    await handlers.reconciler(
      taskStoppedEvent(task!, { code: 137, signal: exit.signal }, 'Essential container in task exited'),
    );
    return waitForStatus(client, egressId, EgressStatus.EGRESS_FAILED, 1_000);
  };

  const start = async (path: string) =>
    client.startTrackEgress('aws-room', `${ws.url}/${path}`, publisher.audioTrackSid!);

  it('runs a WebSocket track egress end to end and signs every webhook', async () => {
    const started = await start('e2e');
    expect(started.status).toBe(EgressStatus.EGRESS_STARTING);
    const stored = await new DynamoDbEgressStore(deployment.table).get(started.egressId);
    expect(stored?.info.status).toBe(EgressStatus.EGRESS_STARTING);

    expect(await deliverJobs(deployment, handlers.dispatcher)).toEqual({ delivered: 1, failures: 0 });
    const [task] = await tasksOf(started.egressId);
    expect(task?.overrides?.cpu).toBe('256');
    expect(task?.overrides?.memory).toBe('512');
    expect(task?.taskDefinitionArn).toContain('forwarder');
    const run = playFargate(deployment, moto, task!);
    played.push(run);

    await waitForStatus(client, started.egressId, EgressStatus.EGRESS_ACTIVE, 10_000);
    const conn = await ws.waitForConnection(5_000);
    await sleep(3_000);
    expect((await client.stopEgress(started.egressId)).status).toBe(EgressStatus.EGRESS_ENDING);
    await waitForStatus(client, started.egressId, EgressStatus.EGRESS_COMPLETE, 15_000);
    const exit = await run.process.exited;
    expect(exit.code).toBe(0);
    expect(conn.binaryBytes).toBeGreaterThan(3 * 192_000 * 0.9);

    await handlers.reconciler(taskStoppedEvent(task!, exit, 'Essential container in task exited'));
    const [after] = await client.listEgress({ egressId: started.egressId });
    expect(after?.status).toBe(EgressStatus.EGRESS_COMPLETE);

    const stream = streamReader(deployment);
    expect((await handlers.notifier(await stream())).batchItemFailures).toEqual([]);
    const receiver = new WebhookReceiver(livekit.apiKey, livekit.apiSecret);
    const events = [];
    for (const hook of hooks.received) {
      const event = await receiver.receive(hook.body, hook.headers.authorization);
      if (event.egressInfo?.egressId === started.egressId) events.push([event.event, event.egressInfo.status]);
    }
    expect(events).toEqual([
      ['egress_started', EgressStatus.EGRESS_STARTING],
      ['egress_updated', EgressStatus.EGRESS_ACTIVE],
      ['egress_updated', EgressStatus.EGRESS_ENDING],
      ['egress_ended', EgressStatus.EGRESS_COMPLETE],
    ]);
  }, 90_000);

  it('starts one task for a job delivered twice', async () => {
    const started = await start('dup');
    await new SQSClient({}).send(
      new SendMessageCommand({
        QueueUrl: deployment.queueUrl,
        MessageBody: JSON.stringify({ egressId: started.egressId }),
      }),
    );
    let delivered = 0;
    for (let i = 0; i < 5 && delivered < 2; i += 1)
      delivered += (await deliverJobs(deployment, handlers.dispatcher)).delivered;
    expect(delivered).toBe(2);
    expect(await tasksOf(started.egressId)).toHaveLength(1);
    await client.stopEgress(started.egressId);
  });

  it('retries a throttled RunTask and then starts the task', async () => {
    const started = await start('throttle');
    // The SDK itself retries a throttle twice (3 attempts); throttled three times, the dispatcher must retry.
    const throttle = { status: 400, body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }) };
    proxy.inject(runTask, throttle, 3);
    const before = proxy.seen.filter((op) => op === runTask).length;
    expect(await deliverJobs(deployment, handlers.dispatcher, { skipBackoff: true })).toEqual({
      delivered: 1,
      failures: 1,
    });
    expect(proxy.seen.filter((op) => op === runTask).length - before).toBe(3);
    expect(await tasksOf(started.egressId)).toHaveLength(0);
    expect(await deliverJobs(deployment, handlers.dispatcher, { skipBackoff: true })).toEqual({
      delivered: 1,
      failures: 0,
    });
    expect(await tasksOf(started.egressId)).toHaveLength(1);
    const [info] = await client.listEgress({ egressId: started.egressId });
    expect(info?.status).toBe(EgressStatus.EGRESS_STARTING);
    await client.stopEgress(started.egressId);
  });

  it('fails the egress with "no capacity" when RunTask keeps reporting no capacity', async () => {
    const started = await start('capacity');
    const noCapacity = JSON.stringify({
      tasks: [],
      failures: [
        {
          arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/x',
          reason: 'Capacity is unavailable at this time. Please try again later or in a different availability zone',
        },
      ],
    });
    proxy.inject(runTask, { status: 200, body: noCapacity }, 3);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      const out = await deliverJobs(deployment, handlers.dispatcher, { skipBackoff: true });
      expect(out).toEqual({ delivered: 1, failures: attempt < 3 ? 1 : 0 });
    }
    const failed = await waitForStatus(client, started.egressId, EgressStatus.EGRESS_FAILED, 1_000);
    expect(failed.error).toMatch(
      /^no capacity to start the egress task after 3 attempts: RunTask failed: Capacity is unavailable/,
    );
    expect(failed.errorCode).toBe(503);
    expect(await tasksOf(started.egressId)).toHaveLength(0);
  });

  it('fails the egress when its task dies mid-recording', async () => {
    const started = await start('crash');
    await deliverJobs(deployment, handlers.dispatcher);
    const [task] = await tasksOf(started.egressId);
    const run = playFargate(deployment, moto, task!);
    played.push(run);
    await waitForStatus(client, started.egressId, EgressStatus.EGRESS_ACTIVE, 10_000);
    await sleep(1_000);
    await run.process.stop('SIGKILL');
    const exit = await run.process.exited;
    await handlers.reconciler(
      taskStoppedEvent(task!, { code: 137, signal: exit.signal }, 'Essential container in task exited'),
    );
    const failed = await waitForStatus(client, started.egressId, EgressStatus.EGRESS_FAILED, 1_000);
    expect(failed.error).toBe(
      'egress task stopped unexpectedly: Essential container in task exited, stop code EssentialContainerExited, exit code 137',
    );
  }, 60_000);

  it('writes a track file to S3 with its metadata and the manifest last', async () => {
    const started = await client.startTrackEgress(
      'aws-room',
      new DirectFileOutput({ filepath: 'recordings/{room_name}/{track_id}' }),
      publisher.audioTrackSid!,
    );
    await deliverJobs(deployment, handlers.dispatcher);
    const [task] = await tasksOf(started.egressId);
    const run = playFargate(deployment, moto, task!);
    played.push(run);
    await waitForStatus(client, started.egressId, EgressStatus.EGRESS_ACTIVE, 10_000);
    await sleep(5_000);
    await client.stopEgress(started.egressId);
    const done = await waitForStatus(client, started.egressId, EgressStatus.EGRESS_COMPLETE, 15_000);
    const file = done.fileResults[0]!;
    expect(file.filename).toBe(`recordings/aws-room/${publisher.audioTrackSid!}.ogg`);
    expect(file.location).toBe(`s3://${deployment.bucket}/${file.filename}`);
    const object = await s3.send(new GetObjectCommand({ Bucket: deployment.bucket, Key: file.filename }));
    expect(object.Metadata).toEqual({ 'egress-id': started.egressId, room: 'aws-room' });
    expect(object.ContentType).toBe('audio/ogg');
    const local = join(await mkdtemp(join(tmpdir(), 'ue-s3-')), 'file.ogg');
    await writeFile(local, await object.Body!.transformToByteArray());
    expect((await probe(local)).audio?.codec).toBe('opus');
    expect(Math.abs((await mediaDuration(local)) - Number(file.duration) / 1e9)).toBeLessThan(0.2);
    expect(done.manifestLocation).toBe(`s3://${deployment.bucket}/recordings/aws-room/${started.egressId}.json`);
    const manifest = await s3.send(
      new GetObjectCommand({ Bucket: deployment.bucket, Key: `recordings/aws-room/${started.egressId}.json` }),
    );
    expect(JSON.parse(await manifest.Body!.transformToString())).toMatchObject({
      egress_id: started.egressId,
      files: [{ filename: file.filename }],
    });
    const leftovers = await s3.send(
      new ListObjectsV2Command({ Bucket: deployment.bucket, Prefix: '_egress-recovery/' }),
    );
    expect(leftovers.KeyCount ?? 0).toBe(0);
  }, 60_000);

  it('keeps what a killed task uploaded: the reconciler completes its file', async () => {
    const started = await client.startTrackEgress(
      'aws-room',
      new DirectFileOutput({ filepath: 'crashes/{track_id}' }),
      videoPublisher.videoTrackSid!,
    );
    const failed = await killedAfter12s(started.egressId);
    const file = failed.fileResults[0]!;
    expect(file.filename).toMatch(/^crashes\/TR_\w+\.webm$/);
    expect(file.size).toBeGreaterThan(0n);
    const object = await s3.send(new GetObjectCommand({ Bucket: deployment.bucket, Key: file.filename }));
    const local = join(await mkdtemp(join(tmpdir(), 'ue-s3-')), 'crash.webm');
    await writeFile(local, await object.Body!.transformToByteArray());
    const frames = await frameNumbers(local);
    expect(frames.numbers.length / 30).toBeGreaterThanOrEqual(minKeptS);
    expect((await probe(local)).video?.codec).toBe('vp8');
  }, 60_000);

  // An output's own S3Upload: another bucket, its own keys (moto takes any), the request's endpoint.
  const own = {
    bucket: 'customer-archive',
    accessKey: 'AKIAOWNREQUESTKEY042',
    secret: 'own-request-secret-never-to-be-seen',
    sessionToken: 'own-request-session-token-never-to-be-seen',
  };

  it("keeps what a killed task uploaded to an output's own S3Upload: completed with the request's settings", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: own.bucket }));
    const upload = new S3Upload({
      bucket: own.bucket,
      accessKey: own.accessKey,
      secret: own.secret,
      sessionToken: own.sessionToken,
      region: 'us-east-1',
      endpoint: moto.endpoint,
      forcePathStyle: true,
    });
    const started = await client.startTrackEgress(
      'aws-room',
      new DirectFileOutput({ filepath: 'own/{track_id}', output: { case: 's3', value: upload } }),
      videoPublisher.videoTrackSid!,
    );
    const failed = await killedAfter12s(started.egressId);
    const file = failed.fileResults[0]!;
    expect(file.filename).toMatch(/^own\/TR_\w+\.webm$/);
    expect(file.location).toContain(own.bucket);
    const object = await s3.send(new GetObjectCommand({ Bucket: own.bucket, Key: file.filename }));
    const local = join(await mkdtemp(join(tmpdir(), 'ue-s3-')), 'own.webm');
    await writeFile(local, await object.Body!.transformToByteArray());
    const frames = await frameNumbers(local);
    expect(frames.numbers.length / 30).toBeGreaterThanOrEqual(minKeptS);
    expect(frames.undecodable).toBe(0);
    // Nothing left behind in either bucket: no open upload, no recovery object.
    const leftovers = await s3.send(new ListObjectsV2Command({ Bucket: own.bucket, Prefix: '_egress-recovery/' }));
    expect(leftovers.KeyCount ?? 0).toBe(0);
  }, 60_000);

  it('never shows the LiveKit secret or an AWS secret key in logs, errors or EgressInfo', async () => {
    const secrets = [livekit.apiSecret, moto.env['AWS_SECRET_ACCESS_KEY']!, own.secret, own.sessionToken];
    const infos = JSON.stringify((await client.listEgress()).map((i) => i.toJson()));
    const everything = [infos, ...logs, ...played.flatMap((t) => t.output)].join('\n');
    expect(everything.length).toBeGreaterThan(1000);
    for (const secret of secrets) expect(everything).not.toContain(secret);
  });
});
