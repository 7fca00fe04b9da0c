import { ECSClient, StopTaskCommand } from '@aws-sdk/client-ecs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DynamoDbEgressStore } from '#adapters/aws/dynamodb-store.ts';
import { readLiveKitSecret } from '#adapters/aws/livekit-secret.ts';
import { SqsJobQueue } from '#adapters/aws/sqs-queue.ts';
import { RoomServiceControl } from '#adapters/livekit/room-service-control.ts';
import { describeError } from '#domain/errors.ts';
import { requireEnv } from '#shared/env.ts';
import { createLogger } from '#shared/logger.ts';
import { RecordPermission } from '#twirp/auth.ts';
import { handleTwirp, type TwirpDeps } from '#twirp/router.ts';
import { createEgressService } from '#use-cases/egress-service.ts';
import { commonEnv } from './lambda-env.ts';

const logger = createLogger({ component: 'api' });
let deps: Promise<TwirpDeps> | undefined;

async function init(): Promise<TwirpDeps> {
  const env = commonEnv();
  const cluster = requireEnv(process.env, 'EGRESS_CLUSTER');
  const apiSecret = await readLiveKitSecret(env.secretArn);
  const ecs = new ECSClient({});
  const service = createEgressService({
    store: new DynamoDbEgressStore(env.table),
    queue: new SqsJobQueue(requireEnv(process.env, 'EGRESS_QUEUE_URL')),
    launcher: {
      stop: async (taskId, reason) => {
        await ecs.send(new StopTaskCommand({ cluster, task: taskId, reason })).catch((err: unknown) => {
          logger.warn('StopTask failed', { taskId, error: describeError(err) });
        });
      },
    },
    rooms: new RoomServiceControl(env.livekitUrl, env.apiKey, apiSecret),
    apiKey: env.apiKey,
    logger,
  });
  return { service, auth: new RecordPermission(env.apiKey, apiSecret), logger };
}

/** API Gateway HTTP API (payload 2.0) → the Twirp core → an HTTP API result. A thin edge, nothing more. */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  deps ??= init().catch((err: unknown) => {
    deps = undefined;
    throw err;
  });
  const response = await handleTwirp(toRequest(event), await deps);
  return toResult(response);
}

/** The `Request` an HTTP API v2 event describes. */
export function toRequest(event: APIGatewayProxyEventV2): Request {
  const host = event.requestContext.domainName;
  const query = event.rawQueryString === '' ? '' : `?${event.rawQueryString}`;
  const headers = new Headers();
  for (const [key, value] of Object.entries(event.headers)) if (value !== undefined) headers.set(key, value);
  const method = event.requestContext.http.method;
  const body =
    event.body === undefined ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body;
  return new Request(`https://${host}${event.rawPath}${query}`, {
    method,
    headers,
    ...(method === 'GET' || method === 'HEAD' || body === undefined ? {} : { body }),
  });
}

/** An HTTP API result for a `Response`; binary (protobuf) bodies are base64-encoded. */
export async function toResult(response: Response): Promise<APIGatewayProxyStructuredResultV2> {
  const contentType = response.headers.get('content-type') ?? '';
  const bytes = Buffer.from(await response.arrayBuffer());
  const binary = !contentType.startsWith('application/json') && !contentType.startsWith('text/');
  return {
    statusCode: response.status,
    headers: Object.fromEntries(response.headers.entries()),
    body: binary ? bytes.toString('base64') : bytes.toString('utf8'),
    isBase64Encoded: binary,
  };
}
