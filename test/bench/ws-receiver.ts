import { createWriteStream } from 'node:fs';
import { createServer, type IncomingHttpHeaders, STATUS_CODES } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { once } from 'node:events';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { WsReceiverError } from './bench-errors.ts';
import { epochNow } from './pacer.ts';

/** How the receiver treats clients. */
export interface WsReceiverOptions {
  /** Refuse every upgrade with this HTTP status, to test a destination that says no. @default accept */
  readonly rejectStatus?: number;
  /** Append each connection's binary bytes to `<recordDir>/connection-<id>.bin`. @default count only */
  readonly recordDir?: string;
}

/** A text frame with its arrival time and how many binary bytes had arrived before it. */
export interface WsTextFrame {
  readonly at: number;
  readonly text: string;
  readonly binaryBytesBefore: number;
}

/** How a connection ended. */
export interface WsClose {
  readonly code: number;
  readonly reason: string;
  readonly at: number;
}

/** Everything one accepted connection did. Times are epoch ms (`epochNow`). */
export interface WsConnectionRecord {
  readonly id: number;
  /** Request path and query. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly openedAt: number;
  readonly binaryBytes: number;
  readonly binaryFrames: number;
  readonly firstBinaryAt: number | undefined;
  readonly lastBinaryAt: number | undefined;
  readonly texts: readonly WsTextFrame[];
  /** File holding the binary bytes, with `recordDir`. */
  readonly file: string | undefined;
  readonly close: WsClose | undefined;
  /** Resolves when the connection has closed and its file is flushed. */
  readonly closed: Promise<WsClose>;
}

/** An upgrade the receiver refused. */
export interface WsRejection {
  readonly at: number;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

/** A running WebSocket receiver on 127.0.0.1. */
export interface WsReceiver {
  /** `ws://127.0.0.1:<port>` — append any path. */
  readonly url: string;
  readonly connections: readonly WsConnectionRecord[];
  readonly rejections: readonly WsRejection[];
  /** The next connection not yet returned by this method (waiting for it if needed). */
  waitForConnection(timeoutMs: number): Promise<WsConnectionRecord>;
  /** Closes every open connection from the server side (a destination going away). */
  closeAll(code?: number, reason?: string): void;
  /** Closes every connection and the server, flushing files. Idempotent. */
  stop(): Promise<void>;
}

type MutableRecord = { -readonly [K in keyof WsConnectionRecord]: WsConnectionRecord[K] } & {
  texts: WsTextFrame[];
};

function byteLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? Buffer.from(data) : data;
}

/** Records one accepted connection's traffic into a new record (and its file). */
function recordConnection(
  ws: WebSocket,
  identity: { id: number; url: string; headers: IncomingHttpHeaders; file: string | undefined },
): MutableRecord {
  const out = identity.file === undefined ? undefined : createWriteStream(identity.file);
  // A file error must not crash the test process; end()'s callback still runs, so `closed` still settles.
  out?.on('error', () => undefined);
  let resolveClosed: (close: WsClose) => void = () => undefined;
  const closed = new Promise<WsClose>((resolve) => (resolveClosed = resolve));
  const record: MutableRecord = {
    ...identity,
    openedAt: epochNow(),
    binaryBytes: 0,
    binaryFrames: 0,
    firstBinaryAt: undefined,
    lastBinaryAt: undefined,
    texts: [],
    close: undefined,
    closed,
  };
  ws.on('message', (data, isBinary) => {
    const at = epochNow();
    if (!isBinary) {
      record.texts.push({ at, text: toBuffer(data).toString('utf8'), binaryBytesBefore: record.binaryBytes });
      return;
    }
    record.binaryBytes += byteLength(data);
    record.binaryFrames++;
    record.firstBinaryAt ??= at;
    record.lastBinaryAt = at;
    out?.write(toBuffer(data));
  });
  ws.once('close', (code, reason) => {
    const close = { code, reason: reason.toString('utf8'), at: epochNow() };
    record.close = close;
    if (out === undefined) resolveClosed(close);
    else out.end(() => resolveClosed(close));
  });
  ws.on('error', () => undefined); // a protocol error is followed by 'close', which records it
  return record;
}

/** Starts a WebSocket server on a random loopback port that records what each client sends. */
export async function startWsReceiver(options: WsReceiverOptions = {}): Promise<WsReceiver> {
  const connections: MutableRecord[] = [];
  const rejections: WsRejection[] = [];
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  const server = createServer((_req, res) => res.writeHead(426).end());
  let handedOut = 0;

  server.on('upgrade', (req, socket, head) => {
    const url = req.url ?? '/';
    if (options.rejectStatus !== undefined) {
      rejections.push({ at: epochNow(), url, headers: req.headers });
      const status = options.rejectStatus;
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Rejected'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const id = connections.length + 1;
      const file = options.recordDir === undefined ? undefined : join(options.recordDir, `connection-${id}.bin`);
      connections.push(recordConnection(ws, { id, url, headers: req.headers, file }));
      sockets.add(ws);
      ws.once('close', () => sockets.delete(ws));
    });
  });

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  return {
    url: `ws://127.0.0.1:${port}`,
    connections,
    rejections,
    waitForConnection: async (timeoutMs) => {
      const deadline = performance.now() + timeoutMs;
      // Polls: bounded by the deadline, 10 ms apart.
      while (performance.now() < deadline) {
        const next = connections[handedOut];
        if (next !== undefined) {
          handedOut++;
          return next;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new WsReceiverError(`no WebSocket connection within ${timeoutMs} ms (${rejections.length} rejected)`);
    },
    closeAll: (code = 1001, reason = 'receiver closing') => {
      for (const ws of sockets) ws.close(code, reason);
    },
    stop: () => {
      // Runs once; terminating first makes server.close() return without waiting for clients.
      stopping ??= (async () => {
        for (const ws of sockets) ws.terminate();
        await Promise.all(connections.map((c) => c.closed));
        wss.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return stopping;
    },
  };
}
