import WebSocket from 'ws';
import { EgressError, describeError } from '#domain/errors.ts';
import { assertAllowedDestination } from '#domain/network-guard.ts';
import { guardedLookup } from '#shared/guarded-http.ts';
import type { Logger } from '#shared/logger.ts';

const pingIntervalMs = 30_000;

/**
 * The WebSocket output of LiveKit's track egress: binary frames of raw PCM (s16le, 48 kHz, stereo,
 * interleaved), text frames `{"muted":true|false}` on mute changes, a ping every 30 s, a Close frame at the
 * end. A failed connection or write is the destination's fault (503), never a hang.
 */
export class WebSocketSink {
  private failure: EgressError | undefined;
  private closing: Promise<void> | undefined;
  private readonly pinger: NodeJS.Timeout;
  private readonly failureListeners: ((err: EgressError) => void)[] = [];
  bytesSent = 0;

  private constructor(
    private readonly socket: WebSocket,
    private readonly logger: Logger,
  ) {
    this.pinger = setInterval(() => {
      if (socket.readyState === WebSocket.OPEN) socket.ping();
    }, pingIntervalMs);
    socket.on('error', (err) => this.fail(err));
    socket.on('close', (code) => {
      if (this.closing === undefined) this.fail(new Error(`receiver closed the connection (code ${code})`));
    });
  }

  /** Connects; rejects with a 503 EgressError when the receiver cannot be reached within `timeoutMs`. */
  static async open(url: string, logger: Logger, timeoutMs = 10_000): Promise<WebSocketSink> {
    const target = new URL(url);
    assertAllowedDestination(target, 'websocket');
    const socket = new WebSocket(target, {
      headers: { 'Content-Type': 'audio/x-raw' },
      handshakeTimeout: timeoutMs,
      lookup: guardedLookup,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', (err) => reject(destinationError(`websocket connection to ${target.host} failed`, err)));
      socket.once('unexpected-response', (_req, res) => {
        reject(destinationError(`websocket receiver ${target.host} answered HTTP ${res.statusCode ?? 0}`));
        socket.terminate();
      });
    });
    logger.info('websocket connected', { host: target.host });
    return new WebSocketSink(socket, logger);
  }

  /** Called once if the connection fails while running. */
  onFailure(listener: (err: EgressError) => void): void {
    if (this.failure !== undefined) listener(this.failure);
    else this.failureListeners.push(listener);
  }

  /** Sends one PCM frame. Returns false (and drops it) once the sink has failed or is closing. */
  writePcm(samples: Int16Array): boolean {
    if (this.failure !== undefined || this.closing !== undefined) return false;
    const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    this.socket.send(bytes, { binary: true }, (err) => {
      if (err) this.fail(err);
    });
    this.bytesSent += bytes.byteLength;
    return true;
  }

  /** Tells the receiver the track was muted or unmuted. */
  sendMuted(muted: boolean): void {
    if (this.failure !== undefined || this.closing !== undefined) return;
    this.socket.send(JSON.stringify({ muted }), (err) => {
      if (err) this.fail(err);
    });
  }

  /** The error that broke the sink, if any. */
  get error(): EgressError | undefined {
    return this.failure;
  }

  /** Sends a Close frame and waits (up to 5 s) for the close handshake. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      clearInterval(this.pinger);
      if (this.socket.readyState !== WebSocket.OPEN) {
        this.socket.terminate();
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 5_000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.close(1000, 'egress ended');
    });
    return this.closing;
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined || this.closing !== undefined) return;
    this.failure = destinationError('websocket write failed', err);
    this.logger.warn('websocket output failed', { error: this.failure.message });
    for (const listener of this.failureListeners.splice(0)) listener(this.failure);
  }
}

function destinationError(what: string, cause?: unknown): EgressError {
  const detail = cause === undefined ? '' : `: ${describeError(cause)}`;
  return new EgressError('unavailable', `${what}${detail}`, { cause, fault: 'destination' });
}
