import { EgressError } from '#domain/errors.ts';
import type { Logger } from '#shared/logger.ts';
import { ManagedProcess, describeExit } from '#shared/managed-process.ts';
import type { InfoPatch } from '../pipelines/pipeline.ts';
import type { EncodedSink } from './encoded-sink.ts';
import type { ImagesSink } from './images-sink.ts';
import { JpegSplitter } from './jpeg-splitter.ts';

/** Most bytes queued towards the decoder before the thumbnails output is declared stuck. */
const maxQueuedBytes = 16 * 1024 * 1024;

export interface ThumbnailSinkOptions {
  readonly intervalSec: number;
  readonly width: number;
  readonly height: number;
  /** Where each JPEG goes (named and uploaded there). */
  readonly images: ImagesSink;
  readonly logger: Logger;
}

/**
 * The thumbnails output: an ffmpeg of its own decodes only the keyframes of the encoded stream (the
 * encoder places one at least every capture interval) and writes a JPEG every `intervalSec` at the
 * requested size. Kept out of the encoder process on purpose: an output that advances once every few
 * seconds makes one ffmpeg starve its other inputs (the audio) while it waits for it.
 */
export class ThumbnailSink implements EncodedSink {
  readonly name = 'images';
  private readonly proc: ManagedProcess;
  private readonly splitter = new JpegSplitter();
  private failure: EgressError | undefined;
  private readonly listeners: ((err: EgressError) => void)[] = [];
  private finishing: Promise<InfoPatch> | undefined;

  constructor(private readonly options: ThumbnailSinkOptions) {
    const filter = `fps=1/${options.intervalSec},scale=${options.width}:${options.height}`;
    this.proc = new ManagedProcess(
      'ffmpeg',
      [
        ...['-hide_banner', '-nostats', '-loglevel', 'error', '-skip_frame', 'nokey', '-f', 'mpegts', '-i', 'pipe:0'],
        ...['-map', '0:v:0', '-vf', filter, '-c:v', 'mjpeg', '-q:v', '4', '-pix_fmt', 'yuvj420p'],
        ...['-f', 'image2pipe', 'pipe:1'],
      ],
      { name: 'ffmpeg thumbnails', logger: options.logger, stdin: 'pipe', rawStdout: true },
    );
    this.proc.child.stdin?.on('error', () => undefined);
    this.proc.child.stdout?.on('data', (chunk: Buffer) => {
      const now = new Date();
      for (const jpeg of this.splitter.push(chunk)) options.images.push(jpeg, now);
    });
    options.images.onFailure((err) => this.fail(err));
    void this.proc.exited.then((exit) => {
      if (this.finishing === undefined) {
        this.fail(new EgressError('internal', `thumbnail decoder exited early (${describeExit(exit)})`));
      }
    });
  }

  write(chunk: Buffer): void {
    const stdin = this.proc.child.stdin;
    if (this.failure !== undefined || this.finishing !== undefined || stdin === null || stdin.destroyed) return;
    if (stdin.writableLength > maxQueuedBytes) {
      this.fail(new EgressError('resource_exhausted', 'thumbnails output cannot keep up', { fault: 'capacity' }));
      return;
    }
    stdin.write(chunk);
  }

  finish(): Promise<InfoPatch> {
    this.finishing ??= (async () => {
      this.proc.child.stdin?.end();
      const timer = setTimeout(() => void this.proc.stop('SIGKILL'), 15_000);
      await this.proc.exited;
      clearTimeout(timer);
      if (this.failure !== undefined) throw this.failure;
      return this.options.images.finish();
    })();
    return this.finishing;
  }

  async abort(): Promise<void> {
    this.finishing ??= Promise.reject(new Error('aborted'));
    this.finishing.catch(() => undefined);
    await this.proc.stop('SIGKILL');
    await this.options.images.abort();
  }

  onFailure(listener: (err: EgressError) => void): void {
    if (this.failure !== undefined) listener(this.failure);
    else this.listeners.push(listener);
  }

  private fail(err: EgressError): void {
    if (this.failure !== undefined) return;
    this.failure = err;
    this.options.logger.warn('thumbnails output failed', { error: err.message });
    for (const listener of this.listeners.splice(0)) listener(err);
  }
}
