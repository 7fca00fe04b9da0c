/**
 * LiveKit's signalling channel: one WebSocket to `<url>/rtc` carrying binary protobuf `SignalRequest`s up and
 * `SignalResponse`s down. Opening it ends when the server's first message, the `JoinResponse`, arrives; a
 * refused upgrade is read for the server's own reason ("invalid authorization token") so the error says it.
 */
import type { PartialMessage } from '@bufbuild/protobuf';
import type { JoinResponse, ReconnectResponse } from '@livekit/protocol';
import { SignalRequest, SignalResponse } from '@livekit/protocol';
import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '#shared/logger.ts';
import { SubscriberConnectError } from './errors.ts';

/**
 * Protocol version we speak. 16 keeps two peer connections (the server offers the subscriber one) and is
 * below 17, so the server strips packet trailers and the RTP payload is exactly what the publisher encoded.
 */
export const signalProtocolVersion = 16;

/** One request, as the protobuf-es constructor accepts it: `{ case: 'trickle', value: { … } }`. */
export type SignalMessage = PartialMessage<SignalRequest>['message'];

/** Inputs of {@link openSignalConnection}. */
export interface OpenSignalOptions {
  /** LiveKit URL: `ws(s)://host[:port]` or `http(s)://…` (converted). */
  readonly url: string;
  readonly token: string;
  readonly logger: Logger;
  /** Milliseconds to wait for the WebSocket and the `JoinResponse` together. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** A session to resume (LiveKit's `reconnect=1` join): the participant sid the server knows us by. */
export interface ResumeTarget {
  readonly participantSid: string;
}

/**
 * Builds the `/rtc` URL: auto-subscribe off, protocol {@link signalProtocolVersion}; with `resume`, the
 * `reconnect=1&sid=…` form that reattaches the socket to the same participant and peer connection.
 */
export function signalUrl(url: string, token: string, resume?: ResumeTarget): string {
  const base = new URL(url);
  if (base.protocol === 'http:') base.protocol = 'ws:';
  if (base.protocol === 'https:') base.protocol = 'wss:';
  if (base.protocol !== 'ws:' && base.protocol !== 'wss:') {
    throw new SubscriberConnectError('connect-failed', `unsupported LiveKit URL scheme ${base.protocol}`);
  }
  base.pathname = `${base.pathname.replace(/\/+$/, '')}/rtc`;
  const params = new URLSearchParams({
    access_token: token,
    auto_subscribe: '0',
    sdk: 'node',
    version: '0.1.0',
    protocol: String(signalProtocolVersion),
    adaptive_stream: '0',
  });
  if (resume !== undefined) {
    params.set('reconnect', '1');
    params.set('sid', resume.participantSid);
  }
  base.search = params.toString();
  return base.toString();
}

/**
 * An open signalling channel. Responses that arrive while no handler is set are queued and handed over, in
 * order, when {@link onMessage} is called: the server sends the subscriber offer right behind the
 * `JoinResponse`, often in the same TCP read, so ws emits both in one tick and none may be lost.
 */
export class SignalConnection {
  private messageHandler: ((response: SignalResponse) => void) | undefined;
  private closeHandler: ((code: number, reason: string) => void) | undefined;
  private readonly queue: SignalResponse[] = [];
  private closing = false;
  private closedBy: { code: number; reason: string } | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly logger: Logger,
  ) {
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('close', (code, reason) => {
      if (this.closing) return;
      this.closedBy = { code, reason: reason.toString() };
      this.closeHandler?.(code, reason.toString());
    });
    // Errors are followed by 'close', which reports the end; only log them here.
    ws.on('error', (err) => this.logger.debug('signal socket error', { err }));
  }

  /** Sets the receiver of every later `SignalResponse` (and of those queued so far); `undefined` queues again. */
  onMessage(handler: ((response: SignalResponse) => void) | undefined): void {
    this.messageHandler = handler;
    while (this.messageHandler !== undefined && this.queue.length > 0) {
      const next = this.queue.shift();
      if (next !== undefined) this.messageHandler(next);
    }
  }

  /** Puts a response back at the head of the queue, for the next handler. */
  requeue(response: SignalResponse): void {
    this.queue.unshift(response);
  }

  /**
   * Sets what runs when the server or the network closes the socket (not when {@link close} does). Runs at
   * once if that already happened, so a close between the join and this call is not lost.
   */
  onClose(handler: (code: number, reason: string) => void): void {
    this.closeHandler = handler;
    if (this.closedBy !== undefined) handler(this.closedBy.code, this.closedBy.reason);
  }

  /** Sends one request; dropped (and logged) once the socket is no longer open. */
  send(message: SignalMessage): void {
    if (this.ws.readyState !== WebSocket.OPEN) {
      this.logger.debug('signal request dropped: socket not open', { request: message?.case });
      return;
    }
    this.ws.send(new SignalRequest({ message }).toBinary());
  }

  /** Closes the socket; waits at most `graceMs` for the close handshake, then terminates it. Idempotent. */
  async close(graceMs = 1_000): Promise<void> {
    this.closing = true;
    this.messageHandler = undefined;
    this.queue.length = 0;
    if (this.ws.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => this.ws.once('close', () => resolve()));
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.ws.close(1000);
    const timer = setTimeout(() => this.ws.terminate(), graceMs);
    await closed;
    clearTimeout(timer);
  }

  private receive(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.closing) return;
    if (!isBinary) {
      this.logger.debug('ignoring text signal message');
      return;
    }
    let response: SignalResponse;
    try {
      response = SignalResponse.fromBinary(toBytes(data));
    } catch (err) {
      this.logger.warn('undecodable signal message', { err });
      return;
    }
    if (this.messageHandler === undefined) this.queue.push(response);
    else this.messageHandler(response);
  }
}

function toBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  return new Uint8Array(data);
}

/** What the first response of a new socket means: the result, or a refusal. */
type FirstResponse<T> = { readonly ok: T } | { readonly refused: string };

/**
 * Opens the WebSocket and waits for the `JoinResponse`. Every failure is a {@link SubscriberConnectError}:
 * `unauthorized` (401/403 with the server's text), `connect-failed` (refused, other status, Leave instead of
 * join), `timeout`, `aborted`. On failure the socket is always terminated.
 */
export function openSignalConnection(
  options: OpenSignalOptions,
): Promise<{ connection: SignalConnection; join: JoinResponse }> {
  return open<JoinResponse>(options, undefined, (first) => {
    if (first.message.case === 'join') return { ok: first.message.value };
    return { refused: describeFirst(first) };
  }).then(({ connection, result }) => ({ connection, join: result }));
}

/**
 * Reattaches to an existing session (`reconnect=1`): resolves with the server's `ReconnectResponse`, or with
 * `undefined` when the server skipped it (the first other message is left queued for the handler). A Leave
 * instead is a refusal: the session is gone and only a full join can follow.
 */
export function resumeSignalConnection(
  options: OpenSignalOptions,
  target: ResumeTarget,
): Promise<{ connection: SignalConnection; reconnect: ReconnectResponse | undefined }> {
  return open<ReconnectResponse | undefined>(options, target, (first, connection) => {
    if (first.message.case === 'reconnect') return { ok: first.message.value };
    if (first.message.case === 'leave') return { refused: describeFirst(first) };
    connection.requeue(first);
    return { ok: undefined };
  }).then(({ connection, result }) => ({ connection, reconnect: result }));
}

function describeFirst(first: SignalResponse): string {
  if (first.message.case === 'leave') {
    return `Leave (reason ${first.message.value.reason}, action ${first.message.value.action})`;
  }
  return first.message.case ?? 'empty';
}

async function open<T>(
  options: OpenSignalOptions,
  resume: ResumeTarget | undefined,
  accept: (first: SignalResponse, connection: SignalConnection) => FirstResponse<T>,
): Promise<{ connection: SignalConnection; result: T }> {
  const url = signalUrl(options.url, options.token, resume);
  const where = new URL(options.url).host;
  // ws's own handshake timeout is a backstop only: ours (same budget, started first) names the failure.
  const ws = new WebSocket(url, { handshakeTimeout: options.timeoutMs + 1_000, maxPayload: 16 * 1024 * 1024 });
  const connection = new SignalConnection(ws, options.logger);
  try {
    const result = await waitForFirst(ws, connection, where, options, accept);
    return { connection, result };
  } catch (err) {
    await connection.close(0);
    throw err;
  }
}

function waitForFirst<T>(
  ws: WebSocket,
  connection: SignalConnection,
  where: string,
  options: OpenSignalOptions,
  accept: (first: SignalResponse, connection: SignalConnection) => FirstResponse<T>,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const fail = (err: SubscriberConnectError): void => {
      cleanup();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new SubscriberConnectError('timeout', `no answer from ${where} within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    const onAbort = (): void =>
      fail(new SubscriberConnectError('aborted', 'connect aborted', { cause: options.signal?.reason }));
    const onRefused = (_req: unknown, res: IncomingMessage): void => void refusal(res, where, options.token).then(fail);
    const onError = (err: Error): void =>
      fail(
        new SubscriberConnectError('connect-failed', `cannot reach LiveKit at ${where}: ${err.message}`, {
          cause: err,
        }),
      );
    const onClose = (code: number): void =>
      fail(
        new SubscriberConnectError('connect-failed', `LiveKit at ${where} closed the socket before joining (${code})`),
      );
    const cleanup = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      ws.off('unexpected-response', onRefused).off('error', onError).off('close', onClose);
      connection.onMessage(undefined);
    };
    if (options.signal?.aborted === true) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    ws.on('unexpected-response', onRefused).on('error', onError).on('close', onClose);
    connection.onMessage((first) => {
      cleanup();
      const answer = accept(first, connection);
      if ('ok' in answer) resolve(answer.ok);
      else
        reject(new SubscriberConnectError('connect-failed', `LiveKit at ${where} refused the join: ${answer.refused}`));
    });
  });
}
/**
 * Reads (at most 4 KiB of) a refused upgrade's body: LiveKit puts the reason there, and for a bad token
 * quotes the token itself, which is masked so it cannot reach a log or an egress record.
 */
async function refusal(res: IncomingMessage, where: string, token: string): Promise<SubscriberConnectError> {
  const status = res.statusCode ?? 0;
  let body = '';
  try {
    for await (const chunk of res) {
      body += String(chunk);
      if (body.length > 4096) break;
    }
  } catch {
    // the body is only for the message
  }
  const text = (body.split(token).join('***').trim() || (res.statusMessage ?? '')).slice(0, 300);
  const reason = status === 401 || status === 403 ? 'unauthorized' : 'connect-failed';
  return new SubscriberConnectError(reason, `LiveKit at ${where} refused the connection (${status}): ${text}`, {
    upgradeStatus: status,
  });
}
