/**
 * Where a recording's bytes go: an append-only stream of chunks. The recorder never seeks back, so a local
 * file, an S3 multipart upload or a pipe can take the bytes while the track is still being recorded, and
 * whatever prefix reached storage before a crash is a playable file (complete Ogg pages, WebM blocks, MP4
 * fragments).
 */
import { EgressError } from '#domain/errors.ts';
import type { Logger } from '#shared/logger.ts';
import { SinkBacklogError, SinkWriteError } from './errors.ts';

/**
 * Append-only destination of a recording. Implemented by the storage adapters (local file, S3 multipart).
 *
 * The recorder calls {@link ByteSink.write} with one chunk at a time and waits for it to settle before the
 * next, so writes arrive in order and never overlap. A chunk is never touched again after it was handed
 * over: the sink may keep a reference to it (to batch an upload part) without copying.
 *
 * Each chunk ends where a reader can stop (an Ogg page, a WebM block, an MP4 fragment). A sink that stores
 * the stream in pieces (S3 multipart parts) should end every piece at the end of a chunk — batch whole
 * chunks, never split one — so that whatever pieces survive a crash form a clean file: ffmpeg refuses an MP4
 * whose last `moof` is cut short.
 */
export interface ByteSink {
  /** Appends `chunk`. A rejection fails the recording; nothing more is written after it. */
  write(chunk: Uint8Array): Promise<void>;
}

/** Options of a {@link SinkQueue}. */
export interface SinkQueueOptions {
  /** Most bytes handed to the queue but not yet accepted by the sink; more fails the recording. */
  readonly maxPendingBytes: number;
  /** Runs once, when the sink has accepted the first chunk that holds media (not just headers). */
  readonly onFirstMedia?: () => void;
  /** Runs once, on the first failure (sink error or backlog). */
  readonly onError?: (err: EgressError) => void;
  /** Where a throwing callback is reported (it must not stop the recording). */
  readonly logger: Logger;
}

/**
 * Serialises writes to a {@link ByteSink} for producers that cannot wait (RTP callbacks are synchronous):
 * chunks are queued in order, written one at a time, counted, and the first failure is kept and reported.
 */
export class SinkQueue {
  private tail: Promise<void> = Promise.resolve();
  private failure: EgressError | undefined;
  /** Rejects on the first failure, so {@link drain} need not wait for a sink that hangs. */
  private readonly failed: Promise<never>;
  private rejectFailed: (err: EgressError) => void = () => undefined;
  private written = 0;
  private pending = 0;
  private mediaSeen = false;

  constructor(
    private readonly sink: ByteSink,
    private readonly options: SinkQueueOptions,
  ) {
    this.failed = new Promise<never>((_, reject) => (this.rejectFailed = reject));
    this.failed.catch(() => undefined); // observed through drain(); never an unhandled rejection
  }

  /** Bytes the sink has accepted. */
  get bytes(): number {
    return this.written;
  }

  /** The first failure, if any: once set, every later chunk is discarded. */
  get error(): EgressError | undefined {
    return this.failure;
  }

  /** Queues `chunk`; `media` marks chunks that carry media (the first such write makes the egress active). */
  write(chunk: Uint8Array, media: boolean): void {
    if (this.failure !== undefined || chunk.length === 0) return;
    this.pending += chunk.length;
    if (this.pending > this.options.maxPendingBytes) {
      this.fail(new SinkBacklogError(this.pending, this.options.maxPendingBytes));
      return;
    }
    this.tail = this.tail.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.sink.write(chunk);
      } catch (err) {
        this.fail(err instanceof EgressError ? err : new SinkWriteError(err));
        return;
      }
      this.written += chunk.length;
      this.pending -= chunk.length;
      if (media && !this.mediaSeen) {
        this.mediaSeen = true;
        this.callback('onFirstMedia', () => this.options.onFirstMedia?.());
      }
    });
  }

  /** Waits until every queued chunk was written; rejects with the first failure, as soon as there is one. */
  async drain(): Promise<void> {
    this.throwIfFailed();
    await Promise.race([this.tail, this.failed]);
    this.throwIfFailed();
  }

  private throwIfFailed(): void {
    const failure = this.failure;
    if (failure !== undefined) throw failure;
  }

  private fail(err: EgressError): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.rejectFailed(err);
    this.callback('onError', () => this.options.onError?.(err));
  }

  private callback(name: string, run: () => void): void {
    try {
      run();
    } catch (err) {
      this.options.logger.error(`recorder ${name} callback threw`, { err });
    }
  }
}
