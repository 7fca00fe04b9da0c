import { createInterface } from 'node:readline';
import { EgressError } from '#domain/errors.ts';
import { nowNanos } from '#domain/egress-record.ts';
import type { StreamUrl } from '#domain/request/stream-url.ts';
import { registerSecret, type LogFields, type Logger } from '#shared/logger.ts';
import { ManagedProcess, describeExit, type ProcessExit } from '#shared/managed-process.ts';
import type { InfoPatch } from '../pipelines/pipeline.ts';
import type { EncodedSink } from './encoded-sink.ts';
import {
  assertStreamDestination,
  secretParts,
  streamSinkArgs,
  urlRedactor,
  type HostResolver,
  type StreamSinkProtocol,
} from './stream-sink-args.ts';

/** Most bytes queued towards ffmpeg's stdin before the destination counts as too slow. */
export const defaultMaxQueuedBytes = 8 * 1024 * 1024;
/** Progress reports with growth (0.5 s apart) before a publish counts as accepted; see {@link StreamSink}. */
const growthReportsToAccept = 2;
/** How long a finishing ffmpeg may take to flush and close the connection. */
const finishGraceMs = 5_000;
/** stderr lines kept (redacted) to explain a failure. */
const keptLines = 20;

/** Options of one publish attempt. */
export interface StreamSinkOptions {
  readonly target: StreamUrl;
  readonly protocol: StreamSinkProtocol;
  readonly logger: Logger;
  /** @default 8 MiB ({@link defaultMaxQueuedBytes}) */
  readonly maxQueuedBytes?: number;
  /** @default the system resolver */
  readonly resolve?: HostResolver;
}

/**
 * One connection attempt to one stream URL: an ffmpeg that copies the encoded MPEG-TS into FLV (RTMP) or
 * MPEG-TS (SRT) and publishes it. It never blocks the encoder: writes are queued to ffmpeg's stdin up to
 * `maxQueuedBytes`, beyond which the attempt fails. Retrying is not its job: {@link StreamOutputs} makes a
 * new attempt. Its `finish` patch is empty — the stream's `StreamInfo` is owned by StreamOutputs.
 *
 * "Accepted" (LiveKit: the server answered the publish): ffmpeg does not wait for the server's answer and
 * hands ~16 KB to the socket before a refused publish is noticed, so one report of bytes proves nothing;
 * the attempt counts as accepted once two progress reports in a row (0.5 s apart) show growth while ffmpeg
 * still runs.
 */
export class StreamSink implements EncodedSink {
  readonly name: string;
  private readonly proc: ManagedProcess;
  private readonly redact: (text: string) => string;
  private readonly lines: string[] = [];
  private readonly closed: Promise<void>;
  private failure: EgressError | undefined;
  private readonly failureListeners: ((err: EgressError) => void)[] = [];
  private readonly acceptListeners: ((startedAt: bigint) => void)[] = [];
  private ending: 'finish' | 'abort' | undefined;
  private finishing: Promise<InfoPatch> | undefined;
  private sent = 0;
  private reportedSize = 0;
  private growthReports = 0;
  private firstGrowthAt = 0n;
  private acceptedAt: bigint | undefined;
  /** Bytes the encoder gave this attempt. */
  bytesWritten = 0;

  private constructor(private readonly options: StreamSinkOptions) {
    this.redact = urlRedactor(options.target);
    this.name = `stream ${options.target.redactedUrl}`;
    this.proc = new ManagedProcess('ffmpeg', streamSinkArgs(options.protocol, options.target.url), {
      name: `ffmpeg ${options.protocol} publisher`,
      logger: this.processLogger(options.logger),
      stdin: 'pipe',
      rawStdout: true,
    });
    this.closed = new Promise((resolve) => this.proc.child.once('close', () => resolve()));
    // EPIPE once ffmpeg has gone: the exit below reports why.
    this.proc.child.stdin?.on('error', () => undefined);
    const stdout = this.proc.child.stdout;
    if (stdout !== null) createInterface({ input: stdout }).on('line', (line) => this.progress(line));
    void this.proc.exited.then((exit) => this.exited(exit));
  }

  /**
   * Checks the destination (nothing is contacted before it passes), then starts ffmpeg. Rejects with an
   * `invalid_argument` EgressError for a blocked destination and `unavailable` for an unresolvable host.
   */
  static async open(options: StreamSinkOptions): Promise<StreamSink> {
    for (const part of secretParts(options.target.url)) registerSecret(part);
    await assertStreamDestination(options.target, options.resolve);
    return new StreamSink(options);
  }

  /** Bytes ffmpeg handed to the connection (its `total_size`). */
  get bytesSent(): number {
    return this.sent;
  }

  /** Whether the server took the publish (see the class comment). */
  get accepted(): boolean {
    return this.acceptedAt !== undefined;
  }

  /** Called once, when the publish is accepted, with the time the media started to flow (ns). */
  onAccepted(listener: (startedAt: bigint) => void): void {
    if (this.acceptedAt !== undefined) listener(this.acceptedAt);
    else this.acceptListeners.push(listener);
  }

  write(chunk: Buffer): void {
    if (this.failure !== undefined || this.ending !== undefined) return;
    const stdin = this.proc.child.stdin;
    if (stdin === null || stdin.destroyed) return;
    const limit = this.options.maxQueuedBytes ?? defaultMaxQueuedBytes;
    if (stdin.writableLength + chunk.length > limit) {
      this.fail(`stream ${this.options.target.redactedUrl} cannot keep up: ${limit} bytes queued`);
      void this.proc.stop('SIGKILL');
      return;
    }
    this.bytesWritten += chunk.length;
    stdin.write(chunk);
  }

  finish(): Promise<InfoPatch> {
    this.ending ??= 'finish';
    this.finishing ??= this.close();
    return this.finishing;
  }

  async abort(): Promise<void> {
    this.ending ??= 'abort';
    await this.proc.stop('SIGKILL');
  }

  onFailure(listener: (err: EgressError) => void): void {
    if (this.failure !== undefined) listener(this.failure);
    else this.failureListeners.push(listener);
  }

  /** End of input: ffmpeg writes what it holds and closes the connection; a stuck one is stopped. */
  private async close(): Promise<InfoPatch> {
    this.proc.child.stdin?.end();
    const timer = setTimeout(() => void this.proc.stop('SIGTERM', 2_000), finishGraceMs);
    const exit = await this.proc.exited;
    clearTimeout(timer);
    if (exit.code !== 0 && this.failure === undefined) {
      this.options.logger.warn('stream publisher ended with an error', { exit: describeExit(exit) });
    }
    return () => undefined;
  }

  private progress(line: string): void {
    const eq = line.indexOf('=');
    if (eq < 0) return;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1).trim();
    if (key === 'total_size') {
      const size = Number(value);
      if (Number.isFinite(size)) this.reportedSize = size;
      return;
    }
    if (key !== 'progress') return;
    const grew = this.reportedSize > this.sent;
    this.sent = Math.max(this.sent, this.reportedSize);
    // The last report (`progress=end`) comes after the connection closed: it proves nothing.
    if (value !== 'continue' || this.failure !== undefined || this.proc.exitStatus !== undefined) return;
    if (!grew) {
      this.growthReports = 0;
      return;
    }
    if (this.growthReports === 0) this.firstGrowthAt = nowNanos();
    this.growthReports += 1;
    if (this.growthReports >= growthReportsToAccept && this.acceptedAt === undefined) this.accept();
  }

  private accept(): void {
    const at = this.firstGrowthAt;
    this.acceptedAt = at;
    this.options.logger.info('stream publishing', { url: this.options.target.redactedUrl });
    for (const listener of this.acceptListeners.splice(0)) listener(at);
  }

  private async exited(exit: ProcessExit): Promise<void> {
    if (this.ending !== undefined) return;
    // 'exit' can come before ffmpeg's last stderr lines, which say why: wait for the pipes to close.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000)))]);
    clearTimeout(timer);
    if (this.ending !== undefined) return;
    const reason = explainFailure(this.lines) ?? `publisher ended (${describeExit(exit)})`;
    this.fail(`stream ${this.options.target.redactedUrl} failed: ${reason}`);
  }

  private fail(message: string): void {
    if (this.failure !== undefined) return;
    this.failure = new EgressError('unavailable', message, { fault: 'destination' });
    this.options.logger.warn('stream attempt failed', { error: message, bytesSent: this.sent });
    for (const listener of this.failureListeners.splice(0)) listener(this.failure);
  }

  /**
   * The logger ffmpeg's output goes to: every line is redacted before it reaches the real logger (which
   * masks registered secrets too; this also covers keys too short to register), and stderr lines are kept
   * to explain a failure.
   */
  private processLogger(logger: Logger): Logger {
    const wrap = (target: Logger): Logger => {
      const log =
        (level: 'debug' | 'info' | 'warn' | 'error') =>
        (msg: string, fields?: LogFields): void => {
          const line = this.redact(msg);
          if (fields?.['stream'] === 'stderr') {
            this.lines.push(line);
            if (this.lines.length > keptLines) this.lines.shift();
          }
          target[level](line, fields);
        };
      return {
        debug: log('debug'),
        info: log('info'),
        warn: log('warn'),
        error: log('error'),
        child: (b) => wrap(target.child(b)),
      };
    };
    return wrap(logger);
  }
}

/** Lines ffmpeg prints on every network close, which explain nothing. */
const noise = /Failed to update header|Last message repeated|^\s*$/;
const explains = /error|fail|refused|broken|denied|not found|timed out|reset|invalid|unreachable|forbidden/i;

/** The first line of ffmpeg's stderr that says what went wrong, without its `[tcp @ 0x…]` prefix. */
export function explainFailure(lines: readonly string[]): string | undefined {
  const line = lines.find((l) => !noise.test(l) && explains.test(l));
  return line?.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/, '').trim();
}
