/**
 * Failing paths: every one must end in a typed error, quickly, never a hang. The real LiveKit server where it
 * can produce the failure; a silent TCP listener or a scripted WebSocket server where only a broken server can.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { JoinResponse, ParticipantInfo, Room, SignalRequest, SignalResponse } from '@livekit/protocol';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { WebSocketServer } from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { createLogger } from '#shared/logger.ts';
import { freePort } from '#shared/ports.ts';
import { SubscriberConnectError, SubscriberDisconnectedError, TrackNotFoundError } from './errors.ts';
import { signalUrl } from './signal-connection.ts';
import type { TrackEndReason } from './subscribed-track.ts';
import { LiveKitSubscriber } from './subscriber.ts';
import { publishAudio, recorderToken } from './test-publisher.ts';

const logger = createLogger({ test: 'livekit-subscriber-failures' }, { level: 'error' });
let server: LiveKitServer;
const cleanup: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startLiveKitServer({ logger });
});
afterEach(async () => {
  await Promise.allSettled(cleanup.splice(0).map((f) => f()));
});
afterAll(async () => {
  await server.stop();
});

async function connect(room: string, identity = 'EG_test'): Promise<LiveKitSubscriber> {
  const token = await recorderToken(server, room, identity);
  const subscriber = await LiveKitSubscriber.connect({ url: server.url, token, logger, timeoutMs: 5_000 });
  cleanup.push(() => subscriber.close());
  return subscriber;
}

/** Runs `fn`, expecting it to reject; returns the error and how long it took. */
async function timedFailure(fn: () => Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const started = Date.now();
  try {
    await fn();
  } catch (err) {
    return { err, ms: Date.now() - started };
  }
  throw new Error('expected a failure');
}

/** A TCP listener that accepts connections and never answers: a hung server. */
async function silentServer(): Promise<{ url: string; server: Server }> {
  const sockets = new Set<Socket>();
  const tcp = createServer((socket) => sockets.add(socket.on('close', () => sockets.delete(socket))));
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const address = tcp.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  cleanup.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => tcp.close(resolve));
  });
  return { url: `ws://127.0.0.1:${port}`, server: tcp };
}

describe('connect', () => {
  test('rejects a token signed with the wrong secret as unauthorized, with the server reason', async () => {
    const token = new AccessToken(server.apiKey, 'not-the-secret-of-this-server', { identity: 'EG_bad' });
    token.addGrant({ roomJoin: true, room: 'r', canSubscribe: true, hidden: true, recorder: true });
    const jwt = await token.toJwt();
    const { err, ms } = await timedFailure(() => LiveKitSubscriber.connect({ url: server.url, token: jwt, logger }));
    expect(err).toBeInstanceOf(SubscriberConnectError);
    expect(err).toMatchObject({ reason: 'unauthorized', upgradeStatus: 401, code: 'permission_denied' });
    expect((err as Error).message).toMatch(/invalid token/);
    expect((err as Error).message).not.toContain(jwt);
    expect(ms).toBeLessThan(2_000);
  });

  test('fails to reach a closed port with connect-failed and the socket error as cause', async () => {
    const url = `ws://127.0.0.1:${await freePort()}`;
    const { err, ms } = await timedFailure(() => LiveKitSubscriber.connect({ url, token: 'x', logger }));
    expect(err).toMatchObject({ reason: 'connect-failed' });
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect((err as Error).cause).toBeInstanceOf(Error);
    expect(ms).toBeLessThan(2_000);
  });

  test('fails with timeout when the server accepts the connection and never joins', async () => {
    const { url } = await silentServer();
    const { err, ms } = await timedFailure(() =>
      LiveKitSubscriber.connect({ url, token: 'x', logger, timeoutMs: 700 }),
    );
    expect(err).toMatchObject({ reason: 'timeout' });
    expect(ms).toBeGreaterThanOrEqual(650);
    expect(ms).toBeLessThan(2_000);
  });

  test('rejects with aborted when the signal fires during connect', async () => {
    const { url } = await silentServer();
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop requested')), 200);
    const { err, ms } = await timedFailure(() =>
      LiveKitSubscriber.connect({ url, token: 'x', logger, timeoutMs: 10_000, signal: controller.signal }),
    );
    expect(err).toMatchObject({ reason: 'aborted' });
    expect(ms).toBeLessThan(1_500);
  });

  test('rejects an unsupported URL scheme before any network use', () => {
    expect(() => signalUrl('ftp://127.0.0.1:7880', 't')).toThrow(SubscriberConnectError);
    const url = new URL(signalUrl('http://127.0.0.1:7880/base/', 'tok'));
    expect(url.protocol).toBe('ws:');
    expect(url.pathname).toBe('/base/rtc');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      access_token: 'tok',
      auto_subscribe: '0',
      protocol: '16',
    });
  });
});

describe('tracks that are not there', () => {
  test('rejects a track id that never appears with TrackNotFoundError after the timeout', async () => {
    const subscriber = await connect(`missing-${Date.now()}`);
    const { err, ms } = await timedFailure(() => subscriber.subscribe('TR_doesnotexist', { trackTimeoutMs: 1_000 }));
    expect(err).toBeInstanceOf(TrackNotFoundError);
    expect(err).toMatchObject({
      code: 'not_found',
      reason: 'track-not-found',
      message: 'track TR_doesnotexist not found',
    });
    expect(ms).toBeGreaterThanOrEqual(950);
    expect(ms).toBeLessThan(2_000);
    expect(subscriber.closed).toBe(false);
  });

  test('rejects a pending wait when the subscriber closes', async () => {
    const subscriber = await connect(`closing-${Date.now()}`);
    const waiting = expect(subscriber.waitForTrack('TR_never', 30_000)).rejects.toMatchObject({ reason: 'closed' });
    await subscriber.close();
    await waiting;
  });
});

describe('a live session ends', () => {
  test('fails with a Leave when the server removes the subscriber, ending its tracks', async () => {
    const room = `removed-${Date.now()}`;
    const publication = await publishAudio(server, room, 'speaker');
    cleanup.push(() => publication.stop());
    const subscriber = await connect(room, 'EG_removed');
    const subscribed = await subscriber.subscribe(publication.trackSid, { trackTimeoutMs: 5_000 });
    const ended = new Promise<TrackEndReason>((resolve) => subscribed.onEnded(resolve));
    const disconnected = new Promise<unknown>((resolve) => subscriber.on('disconnected', resolve));
    await new RoomServiceClient(server.httpUrl, server.apiKey, server.apiSecret).removeParticipant(room, 'EG_removed');
    const err = await disconnected;
    expect(err).toBeInstanceOf(SubscriberDisconnectedError);
    expect(err).toMatchObject({ disconnectCause: 'leave', leaveReason: 'PARTICIPANT_REMOVED', code: 'unavailable' });
    expect(await ended).toBe('disconnected');
    expect(subscriber.closed).toBe(true);
    await expect(subscriber.subscribe(publication.trackSid)).rejects.toBe(err);
  });

  // Without a reconnect window (0) a broken session ends at once; with one it is resumed first
  // (subscriber-recovery.test.ts).
  test('fails with ping-timeout when the server stops answering, after pinging as asked', async () => {
    const port = await freePort();
    const wss = new WebSocketServer({ host: '127.0.0.1', port });
    cleanup.push(() => new Promise((resolve) => wss.close(() => resolve())));
    const pings: bigint[] = [];
    wss.on('connection', (socket) => {
      cleanup.push(() => Promise.resolve(socket.terminate()));
      const join = new JoinResponse({
        room: new Room({ name: 'scripted', sid: 'RM_scripted' }),
        participant: new ParticipantInfo({ sid: 'PA_me', identity: 'EG_test' }),
        pingInterval: 1,
        pingTimeout: 2,
      });
      socket.send(new SignalResponse({ message: { case: 'join', value: join } }).toBinary());
      socket.on('message', (data: Buffer) => {
        const request = SignalRequest.fromBinary(new Uint8Array(data));
        if (request.message.case === 'pingReq') pings.push(request.message.value.timestamp);
      });
    });
    const subscriber = await LiveKitSubscriber.connect({
      url: `ws://127.0.0.1:${port}`,
      token: 'x',
      logger,
      reconnectWindowMs: 0,
    });
    cleanup.push(() => subscriber.close());
    const started = Date.now();
    const err = await new Promise<unknown>((resolve) => subscriber.on('disconnected', resolve));
    expect(err).toMatchObject({ disconnectCause: 'ping-timeout' });
    expect(Date.now() - started).toBeLessThan(3_500);
    expect(pings.length).toBeGreaterThanOrEqual(1);
  });

  test('fails with signal-closed when the server drops the WebSocket', async () => {
    const port = await freePort();
    const wss = new WebSocketServer({ host: '127.0.0.1', port });
    cleanup.push(() => new Promise((resolve) => wss.close(() => resolve())));
    wss.on('connection', (socket) => {
      const join = new JoinResponse({
        participant: new ParticipantInfo({ sid: 'PA_me' }),
        pingInterval: 5,
        pingTimeout: 15,
      });
      socket.send(new SignalResponse({ message: { case: 'join', value: join } }).toBinary());
      setTimeout(() => socket.terminate(), 200);
    });
    const subscriber = await LiveKitSubscriber.connect({
      url: `ws://127.0.0.1:${port}`,
      token: 'x',
      logger,
      reconnectWindowMs: 0,
    });
    cleanup.push(() => subscriber.close());
    const waiting = subscriber.waitForTrack('TR_x', 10_000).catch((err: unknown) => err);
    const err = await new Promise<unknown>((resolve) => subscriber.on('disconnected', resolve));
    expect(err).toMatchObject({ disconnectCause: 'signal-closed', reason: 'disconnected' });
    expect(await waiting).toBe(err);
  });
});
