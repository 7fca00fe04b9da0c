import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One webhook request as received. */
export interface ReceivedWebhook {
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
  readonly receivedAt: number;
}

export interface WebhookReceiverServer {
  readonly url: string;
  readonly received: ReceivedWebhook[];
  /** Answer the next `n` requests with HTTP `status` (to test retries). */
  failNext(n: number, status?: number): void;
  /** Resolves when `predicate` holds for the received list, or rejects after `timeoutMs`. */
  waitFor(predicate: (received: readonly ReceivedWebhook[]) => boolean, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 that records every webhook POSTed to it. */
export async function startWebhookReceiver(): Promise<WebhookReceiverServer> {
  const received: ReceivedWebhook[] = [];
  let failures = 0;
  let failStatus = 500;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failures > 0) {
        failures -= 1;
        res.writeHead(failStatus).end();
        return;
      }
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers, receivedAt: Date.now() });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    received,
    failNext: (n, status = 500) => {
      failures = n;
      failStatus = status;
    },
    waitFor: async (predicate, timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline)
          throw new Error(`webhooks not received within ${timeoutMs} ms (${received.length} so far)`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
