import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { EgressStatus } from '@livekit/protocol';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { EventBridgePublisher } from '#adapters/aws/eventbridge-publisher.ts';
import { itemToRecord, type EgressItem } from '#adapters/aws/egress-item.ts';
import { readLiveKitSecret } from '#adapters/aws/livekit-secret.ts';
import { HttpWebhookSender } from '#adapters/http/http-webhook-sender.ts';
import { listEnv, optionalEnv } from '#shared/env.ts';
import { createLogger } from '#shared/logger.ts';
import { emitMetric } from '#shared/metrics.ts';
import { eventFor, notifyChange, type NotifyDeps } from '#use-cases/notify-change.ts';
import { commonEnv } from './lambda-env.ts';

const logger = createLogger({ component: 'notifier' });
let deps: Promise<NotifyDeps> | undefined;

async function init(): Promise<NotifyDeps> {
  const env = commonEnv();
  const bus = optionalEnv(process.env, 'EGRESS_EVENT_BUS');
  return {
    webhooks: new HttpWebhookSender({ logger }),
    webhookUrls: listEnv(process.env, 'EGRESS_WEBHOOK_URLS'),
    apiKey: env.apiKey,
    apiSecret: await readLiveKitSecret(env.secretArn),
    ...(bus === undefined ? {} : { events: new EventBridgePublisher(bus) }),
    logger,
  };
}

function image(value: Record<string, unknown> | undefined) {
  return value === undefined
    ? undefined
    : itemToRecord(unmarshall(value as Record<string, AttributeValue>) as EgressItem);
}

/**
 * The table's stream → LiveKit webhooks (signed, with retries) + EventBridge events, in order per egress.
 * A record that fails is reported (and everything after it in the batch), so nothing is skipped.
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  deps ??= init().catch((err: unknown) => {
    deps = undefined;
    throw err;
  });
  const ready = await deps;
  for (const record of event.Records) {
    try {
      const next = image(record.dynamodb?.NewImage);
      if (next === undefined) continue;
      const old = image(record.dynamodb?.OldImage);
      await notifyChange(ready, old, next);
      if (eventFor(old, next) === 'egress_ended' && next.info.status === EgressStatus.EGRESS_FAILED) {
        emitMetric('EgressFailed');
      }
    } catch (err) {
      logger.error('stream record failed', { eventId: record.eventID, err });
      return { batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] };
    }
  }
  return { batchItemFailures: [] };
}
