import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '#shared/logger.ts';
import { startGuardedProxy, type GuardedProxy } from './guarded-proxy.ts';

/** Sends a CONNECT for `authority` through the proxy and resolves with the status line's code. */
function connectThrough(proxyPort: number, authority: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: proxyPort, method: 'CONNECT', path: authority });
    req.on('connect', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the guarded proxy in front of Chromium', () => {
  let proxy: GuardedProxy;
  let proxyPort: number;
  let upstream: Server;
  let upstreamPort: number;
  let upstreamHits = 0;

  beforeAll(async () => {
    proxy = await startGuardedProxy(createLogger({ component: 'proxy-test' }));
    proxyPort = Number(/:(\d+)$/.exec(proxy.chromiumFlags[0] ?? '')?.[1]);
    upstream = createServer((_req, res) => {
      upstreamHits++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    upstreamPort = (upstream.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await proxy.close();
    await new Promise((resolve) => upstream.close(resolve));
  });

  it('routes Chromium through itself, loopback alone direct', () => {
    expect(proxy.chromiumFlags).toEqual([
      `--proxy-server=http://127.0.0.1:${proxyPort}`,
      '--proxy-bypass-list=<-loopback>;localhost;127.0.0.0/8;[::1]',
    ]);
  });

  it('rejects a tunnel to the ECS credentials endpoint with 403, before any connection', async () => {
    // 169.254.170.2 is refused by address before a socket is opened: nothing is sent there.
    expect(await connectThrough(proxyPort, '169.254.170.2:80')).toBe(403);
    expect(await connectThrough(proxyPort, '[fd00:ec2::254]:80')).toBe(403);
  });

  it("rejects Chromium's own service hosts by name, without resolving them", async () => {
    expect(await connectThrough(proxyPort, 'accounts.google.com:443')).toBe(403);
    expect(await connectThrough(proxyPort, 'update.googleapis.com:443')).toBe(403);
  });

  it('rejects a plain HTTP request to the metadata address with 403', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxyPort, path: 'http://169.254.169.254/latest/meta-data/' });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('forwards an allowed destination', async () => {
    expect(await connectThrough(proxyPort, `127.0.0.1:${upstreamPort}`)).toBe(200);
    const body = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: proxyPort, path: `http://127.0.0.1:${upstreamPort}/x` });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).toBe('ok');
    expect(upstreamHits).toBe(1);
  });
});
