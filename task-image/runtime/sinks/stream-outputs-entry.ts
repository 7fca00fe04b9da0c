import { StreamInfo, StreamInfo_Status } from '@livekit/protocol';
import { EgressError, toEgressError } from '#domain/errors.ts';
import { nowNanos } from '#domain/egress-record.ts';
import type { StreamUrl } from '#domain/request/stream-url.ts';
import type { Logger } from '#shared/logger.ts';
import type { EncodedFanout } from './encoded-fanout.ts';
import type { HostResolver, StreamSinkProtocol } from './stream-sink-args.ts';
import { StreamSink } from './stream-sink.ts';

/** LiveKit's stream robustness figures (`builder/stream.go`, `pipeline/watch.go`). */
export const streamTiming = {
  /** First wait before a reconnect; it grows by this much per failed attempt in a row. */
  retryDelayMs: 1_000,
  maxRetryDelayMs: 3_000,
  /** Total time a stream may be disconnected before it is FAILED. */
  maxDisconnectedMs: 30_000,
  /** The liveness monitor: a stream whose byte count grew by no more than 4 KiB in 30 s is FAILED. */
  livenessCheckMs: 5_000,
  livenessTimeoutMs: 30_000,
  livenessMinGrowthBytes: 4_096,
  /** Updates about retries are sent at most this often per stream. */
  retryUpdateIntervalMs: 60_000,
} as const;

/** What a {@link StreamEntry} tells its owner. */
export interface StreamEntryHooks {
  readonly fanout: EncodedFanout;
  readonly protocol: StreamSinkProtocol;
  readonly logger: Logger;
  readonly resolve?: HostResolver;
  /** The stream's public state changed (published, retried — already throttled —, ended). */
  readonly changed: (entry: StreamEntry) => void;
  /** The stream failed for good. */
  readonly failed: (entry: StreamEntry, err: EgressError) => void;
}

type Phase = 'connecting' | 'publishing' | 'waiting' | 'ended';

/**
 * One URL of a stream output, over all its connection attempts: LiveKit's rules. A first attempt that fails
 * before anything was accepted fails the stream (a bad URL or key); a drop after it worked reconnects with
 * a new attempt (which joins the encoded stream at a keyframe) until the stream has been disconnected for
 * 30 s in total; a stream whose byte count stops growing for 30 s fails (a silent wedge). SRT never retries.
 */
export class StreamEntry {
  readonly info: StreamInfo;
  private phase: Phase = 'connecting';
  private attempt: StreamSink | undefined;
  private everAccepted = false;
  private settled = false;
  private outageStartedAt: number | undefined;
  private outageMsBefore = 0;
  private failuresInRow = 0;
  private sentBefore = 0;
  private grownTo = 0;
  private grownAt = Date.now();
  private retryUpdateAt: number | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly liveness: NodeJS.Timeout;
  private stopping: Promise<void> | undefined;
  private connecting: Promise<void> | undefined;

  constructor(
    readonly target: StreamUrl,
    private readonly hooks: StreamEntryHooks,
  ) {
    this.info = new StreamInfo({ url: target.redactedUrl, status: StreamInfo_Status.ACTIVE });
    // LiveKit: an SRT stream starts when it is created; RTMP when the publish is accepted.
    if (hooks.protocol === 'srt') this.info.startedAt = nowNanos();
    this.liveness = setInterval(() => this.checkLiveness(), streamTiming.livenessCheckMs);
    this.connecting = this.connect();
  }

  /** Not yet FINISHED or FAILED. */
  get live(): boolean {
    return this.phase !== 'ended';
  }

  /** Still waiting for its first outcome (published or failed): updates are held back until then. */
  get pending(): boolean {
    return !this.settled && this.phase !== 'ended';
  }

  /** An attempt is publishing right now. */
  get publishing(): boolean {
    return this.phase === 'publishing';
  }

  /** Bytes sent over every attempt. */
  get bytesSent(): number {
    return this.sentBefore + (this.attempt?.bytesSent ?? 0);
  }

  /** Graceful end (egress end, or UpdateStream removed the URL). Idempotent. */
  finish(removed: boolean): Promise<void> {
    return this.close(removed, false);
  }

  /** Immediate end without flushing (the egress failed). Idempotent. */
  abort(): Promise<void> {
    return this.close(false, true);
  }

  private async close(removed: boolean, kill: boolean): Promise<void> {
    if (this.phase !== 'ended') {
      if (removed || this.everAccepted || this.hooks.protocol === 'srt') this.end(StreamInfo_Status.FINISHED, '', kill);
      else this.end(StreamInfo_Status.FAILED, `stream ${this.target.redactedUrl} was never published`, kill);
    }
    // An attempt still starting sees the end and stops its ffmpeg itself: wait for that too.
    await Promise.all([this.stopping, this.connecting]);
  }

  private async connect(): Promise<void> {
    let sink: StreamSink;
    try {
      const { protocol, resolve } = this.hooks;
      sink = await StreamSink.open({ target: this.target, protocol, logger: this.hooks.logger, resolve });
    } catch (err) {
      this.attemptFailed(toEgressError(err, `stream ${this.target.redactedUrl} could not start`), undefined);
      return;
    }
    if (this.phase === 'ended') {
      await sink.abort();
      return;
    }
    this.attempt = sink;
    sink.onAccepted((at) => this.accepted(sink, at));
    sink.onFailure((err) => this.attemptFailed(err, sink));
    this.hooks.fanout.add(sink);
  }

  private accepted(sink: StreamSink, at: bigint): void {
    if (sink !== this.attempt || this.phase === 'ended') return;
    this.phase = 'publishing';
    this.failuresInRow = 0;
    if (this.outageStartedAt !== undefined) {
      const outageMs = Date.now() - this.outageStartedAt;
      this.outageMsBefore += outageMs;
      this.outageStartedAt = undefined;
      this.hooks.logger.info('stream reconnected', { url: this.target.redactedUrl, outageMs });
    }
    this.everAccepted = true;
    if (this.info.startedAt === 0n) this.info.startedAt = at;
    if (!this.settled) {
      this.settled = true;
      this.hooks.changed(this);
    }
  }

  private attemptFailed(err: EgressError, sink: StreamSink | undefined): void {
    if (sink !== undefined) {
      if (sink !== this.attempt) return;
      this.dropAttempt(sink);
    }
    if (this.phase === 'ended') return;
    // A blocked destination (a host name now resolving to a metadata address) is never retried.
    if (this.hooks.protocol === 'srt' || !this.everAccepted || err.code === 'invalid_argument') {
      this.fail(err);
      return;
    }
    this.outageStartedAt ??= Date.now();
    const outageMs = this.outageMsBefore + (Date.now() - this.outageStartedAt);
    if (outageMs >= streamTiming.maxDisconnectedMs) {
      const message = `${err.message} (disconnected for ${Math.round(outageMs / 1000)} s)`;
      this.fail(new EgressError('unavailable', message, { fault: 'destination' }));
      return;
    }
    this.phase = 'waiting';
    this.failuresInRow += 1;
    const delayMs = Math.min(streamTiming.retryDelayMs * this.failuresInRow, streamTiming.maxRetryDelayMs);
    this.hooks.logger.warn('stream dropped; reconnecting', { error: err.message, delayMs, outageMs });
    this.retryTimer = setTimeout(() => this.retry(), delayMs);
  }

  private retry(): void {
    if (this.phase === 'ended') return;
    this.phase = 'connecting';
    this.info.retries += 1;
    this.info.lastRetryAt = nowNanos();
    const now = Date.now();
    if (this.retryUpdateAt === undefined || now - this.retryUpdateAt >= streamTiming.retryUpdateIntervalMs) {
      this.retryUpdateAt = now;
      this.hooks.changed(this);
    }
    this.connecting = this.connect();
  }

  private dropAttempt(sink: StreamSink): void {
    this.hooks.fanout.remove(sink);
    this.sentBefore += sink.bytesSent;
    this.attempt = undefined;
    void sink.abort();
  }

  private checkLiveness(): void {
    if (this.phase === 'ended') return;
    const sent = this.bytesSent;
    const now = Date.now();
    if (sent - this.grownTo > streamTiming.livenessMinGrowthBytes) {
      this.grownTo = sent;
      this.grownAt = now;
      return;
    }
    const idleMs = now - this.grownAt;
    if (idleMs < streamTiming.livenessTimeoutMs) return;
    const message = `stream ${this.target.redactedUrl} sent nothing for ${Math.round(idleMs / 1000)} s`;
    this.fail(new EgressError('unavailable', message, { fault: 'destination' }));
  }

  private fail(err: EgressError): void {
    if (this.phase === 'ended') return;
    this.end(StreamInfo_Status.FAILED, err.message, true);
    this.settled = true;
    this.hooks.failed(this, err);
  }

  /** Sets the final fields, stops timers and the current attempt (flushed unless `kill`). */
  private end(status: StreamInfo_Status, error = '', kill = false): void {
    this.phase = 'ended';
    clearInterval(this.liveness);
    clearTimeout(this.retryTimer);
    const endedAt = nowNanos();
    if (this.info.startedAt === 0n) this.info.startedAt = endedAt;
    this.info.endedAt = endedAt;
    this.info.duration = endedAt - this.info.startedAt;
    this.info.status = status;
    this.info.error = error;
    const sink = this.attempt;
    if (sink === undefined) return;
    this.hooks.fanout.remove(sink);
    this.stopping = kill ? sink.abort() : sink.finish().then(() => undefined);
  }
}
