import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WsReceiverError } from './bench-errors.ts';
import { startWsReceiver, type WsReceiver } from './ws-receiver.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  // One at a time, last registered first (clients, then their receiver, then the folder); all run even if
  // one fails.
  const failures: unknown[] = [];
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup().catch((err: unknown) => failures.push(err));
  }
  if (failures.length > 0) throw new AggregateError(failures, 'test cleanup failed');
});

async function receiver(options: Parameters<typeof startWsReceiver>[0] = {}): Promise<WsReceiver> {
  const started = await startWsReceiver(options);
  cleanups.push(() => started.stop());
  return started;
}

/** Terminates a client and waits until it has closed. */
async function terminate(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  // Terminating a socket that never opened (a rejected upgrade) emits 'error' before 'close'.
  ws.on('error', () => undefined);
  const closed = new Promise((resolve) => ws.once('close', resolve));
  ws.terminate();
  await closed;
}

async function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers });
  cleanups.push(() => terminate(ws));
  await once(ws, 'open');
  return ws;
}

describe('ws receiver', () => {
  it('records headers, binary bytes, text frames in order and the close code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ue-ws-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const rx = await receiver({ recordDir: dir });
    expect(rx.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const ws = await connect(`${rx.url}/egress/EG_1?x=1`, { authorization: 'Bearer abc' });
    ws.send(Buffer.alloc(960, 1));
    ws.send(JSON.stringify({ muted: true }));
    ws.send(Buffer.alloc(40, 2));
    ws.send(JSON.stringify({ muted: false }));
    ws.close(1000, 'done');

    const conn = await rx.waitForConnection(2_000);
    const close = await conn.closed;
    expect(close).toMatchObject({ code: 1000, reason: 'done' });
    expect(conn.url).toBe('/egress/EG_1?x=1');
    expect(conn.headers['authorization']).toBe('Bearer abc');
    expect(conn).toMatchObject({ binaryBytes: 1000, binaryFrames: 2 });
    expect(conn.texts.map((t) => [t.text, t.binaryBytesBefore])).toEqual([
      ['{"muted":true}', 960],
      ['{"muted":false}', 1000],
    ]);
    expect(conn.texts[0]?.at).toBeGreaterThanOrEqual(conn.openedAt);
    const file = await readFile(conn.file ?? '');
    expect(file.length).toBe(1000);
    expect(file[959]).toBe(1);
    expect(file[960]).toBe(2);
  });

  it('hands out each connection once, in order', async () => {
    const rx = await receiver();
    await connect(`${rx.url}/a`);
    await connect(`${rx.url}/b`);
    expect((await rx.waitForConnection(2_000)).url).toBe('/a');
    expect((await rx.waitForConnection(2_000)).url).toBe('/b');
    expect(rx.connections).toHaveLength(2);
  });

  it('closes connections from its side with the code asked for', async () => {
    const rx = await receiver();
    const ws = await connect(rx.url);
    const closed = once(ws, 'close');
    rx.closeAll(1011, 'gone');
    const [code] = (await closed) as [number];
    expect(code).toBe(1011);
    expect((await (await rx.waitForConnection(1_000)).closed).code).toBe(1011);
  });

  it('rejects upgrades with the configured status and records them', async () => {
    const rx = await receiver({ rejectStatus: 403 });
    const ws = new WebSocket(`${rx.url}/nope`, { headers: { 'x-egress': 'EG_2' } });
    cleanups.push(() => terminate(ws));
    const [, response] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
    expect(response.statusCode).toBe(403);
    expect(rx.connections).toHaveLength(0);
    expect(rx.rejections).toMatchObject([{ url: '/nope', headers: { 'x-egress': 'EG_2' } }]);
  });

  it('fails a wait for a connection that never comes', async () => {
    const rx = await receiver();
    await expect(rx.waitForConnection(100)).rejects.toBeInstanceOf(WsReceiverError);
  });

  it('stops with clients still connected, and stop is idempotent', async () => {
    const rx = await startWsReceiver();
    const ws = await connect(rx.url);
    const closed = once(ws, 'close');
    await Promise.all([rx.stop(), rx.stop()]);
    await closed;
    const conn = rx.connections[0];
    expect(conn?.close?.code).toBe(1006);
  });
});
