import { randomUUID } from 'node:crypto';
import { EgressStatus, Room, WebhookEvent, type EgressInfo, type WebhookConfig } from '@livekit/protocol';
import type { EgressRecord } from '#domain/egress-record.ts';
import { isTerminal } from '#domain/status.ts';
import type { Logger } from '#shared/logger.ts';
import type { WebhookSender, WebhookTarget } from '#ports/webhook-sender.ts';

export type EgressEventName = 'egress_started' | 'egress_updated' | 'egress_ended';

/** Publishes egress changes to AWS-native consumers (EventBridge); absent in local mode. */
export interface EgressEventPublisher {
  publish(name: EgressEventName, info: EgressInfo): Promise<void>;
}

export interface NotifyDeps {
  readonly webhooks: WebhookSender;
  /** The deployment's webhook URLs (every event goes there). */
  readonly webhookUrls: readonly string[];
  /** The deployment's key pair: signs webhooks; a request's `signing_key` must name this key. */
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly events?: EgressEventPublisher;
  readonly logger: Logger;
}

/** Which LiveKit webhook a change of record produces, if any (reference §2 "Webhooks"). */
export function eventFor(old: EgressRecord | undefined, next: EgressRecord): EgressEventName | undefined {
  const status = next.info.status;
  if (old === undefined) return status === EgressStatus.EGRESS_STARTING ? 'egress_started' : undefined;
  if (isTerminal(status)) return isTerminal(old.info.status) ? undefined : 'egress_ended';
  if (status !== EgressStatus.EGRESS_ACTIVE && status !== EgressStatus.EGRESS_ENDING) return undefined;
  return infoChanged(old.info, next.info) ? 'egress_updated' : undefined;
}

function infoChanged(a: EgressInfo, b: EgressInfo): boolean {
  const strip = (i: EgressInfo): string => {
    const c = i.clone();
    c.updatedAt = 0n;
    return c.toJsonString();
  };
  return strip(a) !== strip(b);
}

function wanted(config: WebhookConfig, name: EgressEventName): boolean {
  const filter = config.filterParams;
  if (filter === undefined) return true;
  if (filter.includeEvents.length > 0 && !filter.includeEvents.includes(name)) return false;
  return !filter.excludeEvents.includes(name);
}

/**
 * Turns one record change into LiveKit `WebhookEvent`s for the deployment's URLs and the request's own
 * `webhooks[]`, delivered concurrently, plus an event for AWS consumers. Failures are logged, never thrown.
 */
export async function notifyChange(deps: NotifyDeps, old: EgressRecord | undefined, next: EgressRecord): Promise<void> {
  const name = eventFor(old, next);
  if (name === undefined) return;
  const event = new WebhookEvent({
    event: name,
    id: randomUUID(),
    createdAt: BigInt(Math.floor(Date.now() / 1000)),
    room: new Room({ name: next.info.roomName, sid: next.info.roomId }),
    egressInfo: next.info,
  });
  const key = { apiKey: deps.apiKey, apiSecret: deps.apiSecret };
  const targets: WebhookTarget[] = deps.webhookUrls.map((url) => ({ url, ...key }));
  for (const config of next.request.value.webhooks) {
    if (config.url !== '' && wanted(config, name)) targets.push({ url: config.url, ...key });
  }
  deps.logger.info('egress event', { egressId: next.egressId, event: name, targets: targets.length });
  await Promise.all([
    ...targets.map((t) => deps.webhooks.send(t, event)),
    deps.events?.publish(name, next.info).catch((err: unknown) => {
      deps.logger.error('event publish failed', { egressId: next.egressId, err });
    }),
  ]);
}
