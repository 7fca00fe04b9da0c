import { EgressStatus, WebhookConfig, FilterParams } from '@livekit/protocol';
import { WebhookReceiver } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture, waitForStatus, type LocalFixture } from '#bench/local-fixture.ts';
import { startSyntheticPublisher, type SyntheticPublisher } from '#bench/synthetic-publisher.ts';
import { startWebhookReceiver, type WebhookReceiverServer } from '#bench/webhook-receiver.ts';
import { startWsReceiver, type WsReceiver } from '#bench/ws-receiver.ts';

describe('webhooks: retries, per-request targets and filters', () => {
  let livekit: LiveKitServer;
  let local: LocalFixture;
  let deployment: WebhookReceiverServer;
  let own: WebhookReceiverServer;
  let ws: WsReceiver;
  let publisher: SyntheticPublisher;

  beforeAll(async () => {
    livekit = await startLiveKitServer();
    deployment = await startWebhookReceiver();
    own = await startWebhookReceiver();
    ws = await startWsReceiver();
    local = await startLocalFixture(livekit, { webhookUrls: [deployment.url] });
    publisher = await startSyntheticPublisher({
      url: livekit.url,
      apiKey: livekit.apiKey,
      apiSecret: livekit.apiSecret,
      room: 'hooks',
      identity: 'mic',
      audio: true,
    });
  });

  afterAll(async () => {
    await publisher?.stop();
    await local?.stop();
    await ws?.stop();
    await own?.stop();
    await deployment?.stop();
    await livekit?.stop();
  });

  it('retries a failing receiver, honours a request filter, and never blocks the egress', async () => {
    deployment.failNext(2, 503);
    const onlyEnded = new WebhookConfig({
      url: own.url,
      signingKey: livekit.apiKey,
      filterParams: new FilterParams({ includeEvents: ['egress_ended'] }),
    });
    const started = await local.client.startTrackEgress('hooks', `${ws.url}/h`, publisher.audioTrackSid!, [onlyEnded]);
    await waitForStatus(local.client, started.egressId, EgressStatus.EGRESS_ACTIVE, 5_000);
    await local.client.stopEgress(started.egressId);
    await waitForStatus(local.client, started.egressId, EgressStatus.EGRESS_COMPLETE, 10_000);
    await local.system.drainWebhooks();

    const receiver = new WebhookReceiver(livekit.apiKey, livekit.apiSecret);
    const names = async (server: WebhookReceiverServer) => {
      const out = [];
      for (const hook of server.received)
        out.push((await receiver.receive(hook.body, hook.headers.authorization)).event);
      return out;
    };
    // The first two deliveries got 503 and were retried: nothing is missing and the order holds.
    expect(await names(deployment)).toEqual(['egress_started', 'egress_updated', 'egress_updated', 'egress_ended']);
    expect(await names(own)).toEqual(['egress_ended']);
  }, 30_000);
});
