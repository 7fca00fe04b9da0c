import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy of the test's own on 127.0.0.1 in front of one loopback port, that can cut every connection
 * through it: {@link TcpCutProxy.cut} destroys the open ones and refuses new ones for a while, as a network
 * outage between a client and the server would (the server itself stays up).
 */
export interface TcpCutProxy {
  /** `ws://127.0.0.1:<port>`: LiveKit's signalling, through the proxy. */
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far (refused ones not counted). */
  readonly accepted: number;
  /** Connections refused while cut. */
  readonly refused: number;
  /** Destroys every open connection now and refuses new ones for `ms`. */
  cut(ms: number): void;
  stop(): Promise<void>;
}

export async function startTcpCutProxy(targetPort: number): Promise<TcpCutProxy> {
  const open = new Set<Socket>();
  let cutUntil = 0;
  let accepted = 0;
  let refused = 0;
  const server = createServer((client) => {
    if (Date.now() < cutUntil) {
      refused++;
      client.destroy();
      return;
    }
    accepted++;
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      open.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        open.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    get accepted() {
      return accepted;
    },
    get refused() {
      return refused;
    },
    cut(ms: number): void {
      cutUntil = Date.now() + ms;
      for (const socket of [...open]) socket.destroy();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of [...open]) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
