import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Logger } from '#shared/logger.ts';

/** A `Request → Response` function, as the Twirp core and the Lambda adapter speak. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** Serves a fetch-style handler with node:http (the local server's edge; the Lambda handler is the other). */
export function serveFetch(handler: FetchHandler, logger: Logger): Server {
  return createServer((req, res) => {
    void respond(handler, req, res).catch((err: unknown) => {
      logger.error('http handler crashed', { err });
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 'internal', msg: 'internal error' }));
    });
  });
}

async function respond(handler: FetchHandler, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(key, v);
    else if (value !== undefined) headers.set(key, value);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const request = new Request(url, {
    method: req.method ?? 'GET',
    headers,
    ...(hasBody ? { body: Readable.toWeb(req), duplex: 'half' } : {}),
  } as RequestInit);
  const response = await handler(request);
  res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
  res.end(Buffer.from(await response.arrayBuffer()));
  // A body the handler did not read (rejected early: too large, unauthenticated) is drained, not left hanging.
  if (!req.complete) req.resume();
}
