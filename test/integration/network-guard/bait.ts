import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { BaitHit } from './result.ts';

/** The addresses the bait listens on: on `lo` inside the test's own network namespace, nowhere else. */
export const baitIpv4 = '169.254.170.2';
export const baitIpv6 = 'fd00:ec2::254';

/** A fake ECS credentials answer: what a leak would put into a recording. */
export const baitCredentials = JSON.stringify({
  AccessKeyId: 'ASIABAITBAITBAITBAIT',
  SecretAccessKey: 'bait-secret-never-to-be-recorded',
  Token: 'bait-session-token',
  Expiration: '2099-01-01T00:00:00Z',
});

/** Fake metadata endpoints that record every connection and datagram they receive. */
export interface Bait {
  /** Every TCP connection and UDP datagram so far, in arrival order. */
  readonly hits: readonly BaitHit[];
  /** Forgets the hits so far (after the self-check). */
  reset(): void;
  close(): Promise<void>;
}

const hostPort = (host: string, port: number): string => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/**
 * Starts the bait: HTTP on port 80 (answers the fake credentials, with CORS open so a page could read them),
 * raw TCP on 443 (a CONNECT tunnel's TLS would land there), and TCP and UDP on 3478 (STUN/TURN, so WebRTC
 * hits are told apart by port), each on both bait addresses. A hit is counted on the socket's `connection` event, before any byte is read, so a connection
 * that never sends a request counts too.
 */
export async function startBait(startedAt: number): Promise<Bait> {
  let hits: BaitHit[] = [];
  const record = (listener: string): BaitHit & { first: string } => {
    const hit = { listener, first: '(nothing sent)', atMs: Date.now() - startedAt };
    hits.push(hit);
    return hit;
  };
  const servers: Server[] = [];
  const sockets: UdpSocket[] = [];
  for (const host of [baitIpv4, baitIpv6]) {
    servers.push(await listenHttp(host, record));
    servers.push(await listenRaw(host, 443, record));
    servers.push(await listenRaw(host, 3478, record));
    sockets.push(await listenUdp(host, record));
  }
  return {
    get hits() {
      return hits;
    },
    reset: () => {
      hits = [];
    },
    close: async () => {
      await Promise.all([
        ...servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
        ...sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      ]);
    },
  };
}

type Recorder = (listener: string) => { first: string };

async function listenHttp(host: string, record: Recorder): Promise<Server> {
  const bySocket = new WeakMap<Socket, { first: string }>();
  const server = createHttpServer({ keepAliveTimeout: 100 });
  const name = `tcp ${hostPort(host, 80)}`;
  server.on('connection', (socket: Socket) => bySocket.set(socket, record(name)));
  // A kept-alive connection carries several requests: each is listed, so every path is named.
  const note = (req: IncomingMessage): void => {
    const hit = bySocket.get(req.socket);
    if (hit === undefined) return;
    const line = `${req.method ?? '?'} ${req.url ?? '?'}`;
    hit.first = hit.first === '(nothing sent)' ? line : `${hit.first}, ${line}`;
  };
  server.on('request', (req: IncomingMessage, res) => {
    note(req);
    res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*' }).end(baitCredentials);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    note(req);
    socket.destroy();
  });
  server.on('clientError', (err: Error, socket: Socket) => {
    const hit = bySocket.get(socket);
    if (hit?.first === '(nothing sent)') hit.first = `not http (${err.message})`;
    socket.destroy();
  });
  await listen(server, host, 80);
  return server;
}

/** Raw TCP: the first bytes (a TLS ClientHello, a TURN message…) name what tried to connect. */
async function listenRaw(host: string, port: number, record: Recorder): Promise<Server> {
  const name = `tcp ${hostPort(host, port)}`;
  const server = createTcpServer((socket) => {
    const hit = record(name);
    socket.on('error', () => socket.destroy());
    socket.once('data', (chunk: Buffer) => {
      hit.first = chunk[0] === 0x16 ? 'tls' : `bytes ${chunk.subarray(0, 16).toString('hex')}`;
      socket.destroy();
    });
    socket.setTimeout(2_000, () => socket.destroy());
  });
  await listen(server, host, port);
  return server;
}

async function listenUdp(host: string, record: Recorder): Promise<UdpSocket> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const name = `udp ${hostPort(host, 3478)}`;
  socket.on('message', (msg: Buffer) => {
    record(name).first = `udp ${msg.length} bytes ${msg.subarray(0, 4).toString('hex')}`;
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(3478, host, () => resolve());
  });
  return socket;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}
