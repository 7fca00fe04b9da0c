import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EgressInfo } from '@livekit/protocol';
import type { EgressEventName, EgressEventPublisher } from '#use-cases/notify-change.ts';

const detailTypes: Readonly<Record<EgressEventName, string>> = {
  egress_started: 'Egress Started',
  egress_updated: 'Egress Updated',
  egress_ended: 'Egress Ended',
};

/** Egress changes as EventBridge events (`source: universal-egress`, detail = the EgressInfo in protojson). */
export class EventBridgePublisher implements EgressEventPublisher {
  constructor(
    private readonly busName: string,
    private readonly client = new EventBridgeClient({}),
  ) {}

  async publish(name: EgressEventName, info: EgressInfo): Promise<void> {
    const res = await this.client.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: this.busName,
            Source: 'universal-egress',
            DetailType: detailTypes[name],
            Resources: [],
            Detail: info.toJsonString(),
          },
        ],
      }),
    );
    if ((res.FailedEntryCount ?? 0) > 0) {
      throw new Error(
        `PutEvents failed: ${res.Entries?.[0]?.ErrorCode ?? 'unknown'} ${res.Entries?.[0]?.ErrorMessage ?? ''}`,
      );
    }
  }
}
