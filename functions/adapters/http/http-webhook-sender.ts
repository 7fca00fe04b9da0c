import { createHash } from 'node:crypto';
import type { WebhookEvent } from '@livekit/protocol';
import { AccessToken } from 'livekit-server-sdk';
import { describeError } from '#domain/errors.ts';
import type { Logger } from '#shared/logger.ts';
import { guardedPost } from '#shared/guarded-http.ts';
import type { WebhookSender, WebhookTarget } from '#ports/webhook-sender.ts';

export interface HttpWebhookSenderOptions {
  readonly logger: Logger;
  /** Attempts per delivery. Default 5. */
  readonly attempts?: number;
  /** First backoff; doubles per attempt. Default 500 ms. */
  readonly backoffMs?: number;
  /** Per-attempt timeout. Default 5 s. */
  readonly timeoutMs?: number;
}

/** Signs a webhook body as LiveKit does: an HS256 JWT, valid 5 minutes, whose `sha256` claim is the body hash. */
export async function signWebhook(body: string, apiKey: string, apiSecret: string): Promise<string> {
  const token = new AccessToken(apiKey, apiSecret, { ttl: '5m' });
  token.sha256 = createHash('sha256').update(body).digest('base64');
  return token.toJwt();
}

/**
 * Delivers LiveKit-format webhooks over HTTP(S) with retries and exponential backoff. Server errors, 408,
 * 429 and network errors are retried; other 4xx answers are final. Blocked destinations (link-local,
 * metadata) are refused before any connection. Never throws: a failing receiver must not fail an egress.
 */
export class HttpWebhookSender implements WebhookSender {
  constructor(private readonly options: HttpWebhookSenderOptions) {}

  async send(target: WebhookTarget, event: WebhookEvent): Promise<boolean> {
    const body = event.toJsonString();
    const attempts = this.options.attempts ?? 5;
    const log = this.options.logger.child({ webhook: safeUrl(target.url), event: event.event, eventId: event.id });
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      let retryable: boolean;
      try {
        const auth = await signWebhook(body, target.apiKey, target.apiSecret);
        const res = await guardedPost(
          target.url,
          body,
          { 'Content-Type': 'application/webhook+json', Authorization: auth, 'User-Agent': 'LiveKit' },
          this.options.timeoutMs ?? 5_000,
        );
        if (res.status >= 200 && res.status < 300) {
          log.debug('webhook delivered', { attempt });
          return true;
        }
        retryable = res.status >= 500 || res.status === 408 || res.status === 429;
        log.warn('webhook receiver answered with an error', { status: res.status, attempt, retryable });
      } catch (err) {
        retryable = !describeError(err).includes('not an allowed destination');
        log.warn('webhook delivery failed', { error: describeError(err), attempt, retryable });
      }
      if (!retryable) break;
      if (attempt < attempts) await sleep((this.options.backoffMs ?? 500) * 2 ** (attempt - 1));
    }
    log.error('webhook dropped after retries', { attempts });
    return false;
  }
}

/** The URL without credentials or query, for logs. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
