/**
 * Recovery of a broken session against a scripted signalling server, which can do what a real server only
 * does under failure: drop the socket, refuse a resume with a Leave, vanish. (The real server and real
 * cuts: test/integration/signal-cut.test.ts.)
 */
import {
  JoinResponse,
  LeaveRequest,
  LeaveRequest_Action,
  ParticipantInfo,
  ReconnectResponse,
  SignalResponse,
} from '@livekit/protocol';
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterEach, describe, expect, test } from 'vitest';
import { createLogger } from '#shared/logger.ts';
import { freePort } from '#shared/ports.ts';
import { LiveKitSubscriber } from './subscriber.ts';

const logger = createLogger({ test: 'livekit-subscriber-recovery' }, { level: 'error' });
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.allSettled(cleanup.splice(0).map((f) => f()));
});

type Script = (socket: WebSocket, query: URLSearchParams, n: number) => void;

/** A WebSocket server that runs `script` for each connection (n = 1, 2, …) and records each query. */
async function scriptedServer(script: Script) {
  const port = await freePort();
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  const queries: URLSearchParams[] = [];
  wss.on('connection', (socket, req: IncomingMessage) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    queries.push(query);
    script(socket, query, queries.length);
  });
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      for (const client of wss.clients) client.terminate();
      wss.close(() => resolve());
    });
  cleanup.push(close);
  return { url: `ws://127.0.0.1:${port}`, queries, close };
}

function send(socket: WebSocket, message: SignalResponse['message']): void {
  socket.send(new SignalResponse({ message }).toBinary());
}

function join(sid: string): SignalResponse['message'] {
  const value = new JoinResponse({
    participant: new ParticipantInfo({ sid, identity: 'EG_test' }),
    pingInterval: 5,
    pingTimeout: 15,
  });
  return { case: 'join', value };
}

async function connect(url: string, reconnectWindowMs: number): Promise<LiveKitSubscriber> {
  const subscriber = await LiveKitSubscriber.connect({ url, token: 'first-token', logger, reconnectWindowMs });
  cleanup.push(() => subscriber.close());
  return subscriber;
}

const once = <T extends unknown[]>(subscriber: LiveKitSubscriber, event: 'reconnected' | 'disconnected') =>
  new Promise<T>((resolve) => subscriber.on(event, (...args: unknown[]) => resolve(args as T)));

describe('a broken session is got back', () => {
  test('a dropped socket is resumed: reconnect=1, the same participant sid, the refreshed token', async () => {
    const server = await scriptedServer((socket, query, n) => {
      if (n === 1) {
        send(socket, join('PA_me'));
        send(socket, { case: 'refreshToken', value: 'refreshed-token' });
        setTimeout(() => socket.terminate(), 200);
      } else {
        send(socket, { case: 'reconnect', value: new ReconnectResponse({}) });
      }
    });
    const subscriber = await connect(server.url, 10_000);
    await once(subscriber, 'reconnected');
    const resume = server.queries[1]!;
    expect(resume.get('reconnect')).toBe('1');
    expect(resume.get('sid')).toBe('PA_me');
    expect(resume.get('access_token')).toBe('refreshed-token');
    expect(subscriber.closed).toBe(false);
    expect(subscriber.participant.sid).toBe('PA_me');
  });

  test('a resume refused with a Leave (RECONNECT) becomes a full rejoin with a new participant sid', async () => {
    const server = await scriptedServer((socket, query, n) => {
      if (n === 1) {
        send(socket, join('PA_old'));
        setTimeout(() => socket.terminate(), 200);
      } else if (query.get('reconnect') === '1') {
        send(socket, { case: 'leave', value: new LeaveRequest({ action: LeaveRequest_Action.RECONNECT }) });
      } else {
        send(socket, join('PA_new'));
      }
    });
    const subscriber = await connect(server.url, 10_000);
    await once(subscriber, 'reconnected');
    expect(server.queries.map((q) => q.get('reconnect'))).toEqual([null, '1', null]);
    expect(subscriber.participant.sid).toBe('PA_new');
    expect(subscriber.closed).toBe(false);
  });

  test('a server Leave asking to reconnect (server shutdown) is a rejoin, not an end', async () => {
    const server = await scriptedServer((socket, _query, n) => {
      send(socket, join(`PA_${n}`));
      if (n === 1) {
        setTimeout(() => {
          send(socket, { case: 'leave', value: new LeaveRequest({ action: LeaveRequest_Action.RECONNECT }) });
        }, 200);
      }
    });
    const subscriber = await connect(server.url, 10_000);
    await once(subscriber, 'reconnected');
    expect(server.queries[1]?.get('reconnect')).toBeNull();
    expect(subscriber.participant.sid).toBe('PA_2');
  });

  test('when the window passes without the server, the session ends with connection-lost', async () => {
    const server = await scriptedServer((socket) => {
      send(socket, join('PA_me'));
      setTimeout(() => void server.close(), 200);
    });
    const subscriber = await connect(server.url, 1_500);
    const started = Date.now();
    const [err] = await once<[unknown]>(subscriber, 'disconnected');
    expect(err).toMatchObject({ disconnectCause: 'connection-lost', reason: 'disconnected', code: 'unavailable' });
    expect((err as Error).message).toContain('could not get it back within 1.5 s');
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(subscriber.closed).toBe(true);
  });

  test('a Leave that does not ask to reconnect (removed, room deleted) still ends the session', async () => {
    const server = await scriptedServer((socket) => {
      send(socket, join('PA_me'));
      setTimeout(() => {
        send(socket, { case: 'leave', value: new LeaveRequest({ action: LeaveRequest_Action.DISCONNECT }) });
      }, 200);
    });
    const subscriber = await connect(server.url, 10_000);
    const [err] = await once<[unknown]>(subscriber, 'disconnected');
    expect(err).toMatchObject({ disconnectCause: 'leave', leaveAction: 'DISCONNECT' });
    expect(server.queries).toHaveLength(1);
  });
});
