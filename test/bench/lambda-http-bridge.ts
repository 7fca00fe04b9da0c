import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

type ApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/**
 * Plays API Gateway's HTTP API in front of a Lambda handler: every request becomes a payload-2.0 event
 * (binary bodies base64-encoded, as API Gateway does), so real SDK clients can call the handler.
 */
export async function startLambdaHttpBridge(handler: ApiHandler): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const contentType = req.headers['content-type'] ?? '';
      const text = contentType.startsWith('application/json') || contentType.startsWith('text/');
      const result = await handler(toEvent(req, body, text));
      const payload = result.isBase64Encoded === true ? Buffer.from(result.body ?? '', 'base64') : (result.body ?? '');
      res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
      res.end(payload);
    })().catch((err: unknown) => {
      // What API Gateway answers when the function throws.
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal Server Error"}');
      process.stderr.write(`lambda bridge: handler threw ${String(err)}\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function toEvent(req: IncomingMessage, body: Buffer, text: boolean): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://bridge');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  const method = req.method ?? 'GET';
  return {
    version: '2.0',
    routeKey: `${method} /twirp/{proxy+}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: '123456789012',
      apiId: 'bridge',
      domainName: 'bridge.execute-api.local',
      domainPrefix: 'bridge',
      http: {
        method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: `${Date.now()}`,
      routeKey: `${method} /twirp/{proxy+}`,
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(body.length === 0 ? {} : { body: text ? body.toString('utf8') : body.toString('base64') }),
    isBase64Encoded: body.length > 0 && !text,
  };
}
