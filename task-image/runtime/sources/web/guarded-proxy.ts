import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { isBlockedAddress } from '#domain/network-guard.ts';
import { guardedLookup } from '#shared/guarded-http.ts';
import type { Logger } from '#shared/logger.ts';

/** The local proxy every Chromium request to another host goes through. */
export interface GuardedProxy {
  /** Chromium flags that route the browser's HTTP(S) and WebSocket traffic through the proxy. */
  readonly chromiumFlags: readonly string[];
  close(): Promise<void>;
}

/**
 * A forward proxy on 127.0.0.1 that refuses link-local and metadata destinations (design decision 13),
 * checked after DNS resolution, so neither a page, a redirect, a subresource nor a WebSocket can read the
 * task's credentials endpoint into a recording. Chromium keeps loopback direct (its implicit bypass),
 * which only ever reaches this task's own template server or a LiveKit server on the same host.
 */
export async function startGuardedProxy(logger: Logger): Promise<GuardedProxy> {
  const server: Server = createServer((req, res) => forward(req, res, logger));
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => tunnel(req, client, head, logger));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    // Chromium bypasses proxies for link-local addresses too, not only loopback: `<-loopback>` drops its
    // implicit list (it must come first, later rules win), then loopback alone is named again.
    chromiumFlags: [
      `--proxy-server=http://127.0.0.1:${port}`,
      '--proxy-bypass-list=<-loopback>;localhost;127.0.0.0/8;[::1]',
    ],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Hosts Chromium calls by itself (sign-in, updates, field trials, safe browsing) despite the flags that
 * turn those features off. Refused by name, without a DNS lookup: a recording never needs them, and a
 * task must not leak lookups of them.
 */
const browserServiceHosts = new Set([
  'accounts.google.com',
  'clients1.google.com',
  'clients2.google.com',
  'clientservices.googleapis.com',
  'update.googleapis.com',
  'optimizationguide-pa.googleapis.com',
  'content-autofill.googleapis.com',
  'safebrowsing.googleapis.com',
  'safebrowsingohttpgateway.googleapis.com',
  'redirector.gvt1.com',
]);

function refused(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase();
  return isBlockedAddress(name) || browserServiceHosts.has(name);
}

/** CONNECT host:port — HTTPS and WebSocket traffic. */
function tunnel(req: IncomingMessage, client: Socket, head: Buffer, logger: Logger): void {
  const target = new URL(`http://${req.url ?? ''}`);
  const port = Number(target.port === '' ? 443 : target.port);
  client.on('error', () => client.destroy());
  if (refused(target.hostname)) {
    logger.debug('browser request refused: blocked destination', { host: target.hostname });
    client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    return;
  }
  const upstream = connect({ host: target.hostname, port, lookup: guardedLookup });
  upstream.on('error', (err) => {
    logger.warn('browser request refused or failed', { host: target.hostname, error: err.message });
    client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  upstream.on('connect', () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
  });
  client.on('close', () => upstream.destroy());
}

/** Plain HTTP with an absolute URI. */
function forward(req: IncomingMessage, res: ServerResponse, logger: Logger): void {
  let target: URL;
  try {
    target = new URL(req.url ?? '');
  } catch {
    res.writeHead(400).end();
    return;
  }
  if (target.protocol !== 'http:' || refused(target.hostname)) {
    logger.debug('browser request refused: blocked destination', { host: target.hostname });
    res.writeHead(403).end();
    return;
  }
  const upstream = httpRequest(
    target,
    { method: req.method, headers: req.headers, lookup: guardedLookup },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', (err) => {
    logger.warn('browser request refused or failed', { host: target.hostname, error: err.message });
    if (!res.headersSent) res.writeHead(403);
    res.end();
  });
  req.pipe(upstream);
}
