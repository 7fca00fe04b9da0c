import type { WebhookEvent } from '@livekit/protocol';

/** One webhook delivery target with the key pair that signs it. */
export interface WebhookTarget {
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
}

/** Delivers LiveKit-format webhooks (signed JWT, `sha256` claim of the body) with retries. */
export interface WebhookSender {
  /** Resolves when delivered or when retries are exhausted; never throws for a failing receiver. */
  send(target: WebhookTarget, event: WebhookEvent): Promise<boolean>;
}
