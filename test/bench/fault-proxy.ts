import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What to answer instead of forwarding: an HTTP status, headers and body, as the real service would. */
export interface InjectedFault {
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * An HTTP proxy in front of moto that answers chosen AWS JSON-protocol operations (by `X-Amz-Target`,
 * e.g. `AmazonEC2ContainerServiceV20141113.RunTask`) with injected errors, so the real SDK sees real error
 * responses. Everything else is forwarded unchanged.
 */
export async function startFaultProxy(target: string) {
  const faults = new Map<string, InjectedFault[]>();
  const seen: string[] = [];
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const op = String(req.headers['x-amz-target'] ?? '');
    seen.push(op);
    const fault = faults.get(op)?.shift();
    if (fault !== undefined) {
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.1', ...fault.headers }).end(fault.body);
      return;
    }
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    /** Operations seen so far (X-Amz-Target values). */
    seen,
    /** Queue `fault` for the next `times` calls of `operation`. */
    inject(operation: string, fault: InjectedFault, times = 1): void {
      const list = faults.get(operation) ?? [];
      for (let i = 0; i < times; i += 1) list.push(fault);
      faults.set(operation, list);
    },
    clear(): void {
      faults.clear();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
