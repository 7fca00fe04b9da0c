import { ImagesInfo } from '@livekit/protocol';
import { EgressError, describeError } from '#domain/errors.ts';
import { nowNanos } from '#domain/egress-record.ts';
import { cleanPath } from '#domain/request/filename.ts';
import { imageFilename, type ImageNames } from '#domain/request/output-names.ts';
import type { ImageOutputPlan } from '#domain/request/plan-types.ts';
import type { Logger } from '#shared/logger.ts';
import type { ObjectStorage } from '#ports/object-storage.ts';
import type { InfoPatch } from '../pipelines/pipeline.ts';

/** What an {@link ImagesSink} needs. */
export interface ImagesSinkOptions {
  readonly plan: ImageOutputPlan;
  readonly storage: ObjectStorage;
  /** From `resolveImageNames`. */
  readonly names: ImageNames;
  readonly egressId: string;
  readonly roomName: string;
  readonly logger: Logger;
}

/** An image uploaded, for the manifest's `images[]`. */
export interface ImageManifestEntry {
  /** Storage key. */
  readonly filename: string;
  /** Capture time, ISO 8601 UTC. */
  readonly timestamp: string;
  readonly location: string;
}

interface QueuedImage {
  readonly jpeg: Buffer;
  readonly at: Date;
}

/** Images waiting for upload before new ones are dropped: a minute at one image a second. */
const maxQueuedImages = 60;
/** …and at most this many bytes of them, whatever their size. */
const maxQueuedBytes = 32 * 1024 * 1024;
/** How long the queued uploads may take once the images output finishes. */
const drainTimeoutMs = 60_000;

/**
 * An images output: JPEG thumbnails, each uploaded as `{prefix}_{%05d}.jpeg` (from index 0),
 * `{prefix}_{utc}.jpeg` or `{prefix}.jpeg` over and over (NONE_OVERWRITE), in capture order. Uploads run
 * one at a time from a bounded queue; when storage falls behind, new images are dropped with a warning
 * (a thumbnail skipped is better than memory growing), and the next accepted one takes the next index,
 * so indexed names stay contiguous. A failed upload fails the output ('destination').
 */
export class ImagesSink {
  private readonly log: Logger;
  private readonly queue: QueuedImage[] = [];
  private readonly entries: ImageManifestEntry[] = [];
  private readonly listeners: ((err: EgressError) => void)[] = [];
  private queuedBytes = 0;
  private nextIndex = 0;
  private dropped = 0;
  private firstAt: Date | undefined;
  private running: Promise<void> | undefined;
  private failure: EgressError | undefined;
  private stopped = false;
  private finishing: Promise<InfoPatch> | undefined;

  constructor(private readonly options: ImagesSinkOptions) {
    this.log = options.logger.child({ sink: 'images', prefix: options.names.prefix });
  }

  /** Queues one JPEG captured at `at`. Ignored after the output failed, finished or was aborted. */
  push(jpeg: Buffer, at: Date): void {
    if (this.failure !== undefined || this.stopped || this.finishing !== undefined) return;
    if (this.queue.length >= maxQueuedImages || this.queuedBytes + jpeg.length > maxQueuedBytes) {
      this.dropped++;
      // The first drop and then every tenth: a stalled storage must not flood the log.
      if (this.dropped % 10 === 1) this.log.warn('image upload queue full; dropping images', { dropped: this.dropped });
      return;
    }
    this.firstAt ??= at;
    this.queue.push({ jpeg, at });
    this.queuedBytes += jpeg.length;
    // The callback runs a tick after drain() settles, never before `running` is set.
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Waits for the queued uploads (bounded) and resolves with this output's `imageResults` entry. */
  finish(): Promise<InfoPatch> {
    this.finishing ??= this.runFinish();
    return this.finishing;
  }

  /** Stops at once: queued images are dropped; an upload in flight is left to end by itself. */
  abort(): Promise<void> {
    this.stopped = true;
    this.queue.splice(0);
    this.queuedBytes = 0;
    return Promise.resolve();
  }

  /** Called at most once, when an upload fails before {@link finish}. */
  onFailure(listener: (err: EgressError) => void): void {
    this.listeners.push(listener);
  }

  /** Every image uploaded, in order (NONE_OVERWRITE lists each upload, as LiveKit does). */
  manifestEntries(): ImageManifestEntry[] {
    return [...this.entries];
  }

  /** Uploads queued images one by one until the queue is empty; a new push restarts it. */
  private async drain(): Promise<void> {
    try {
      for (let image = this.queue.shift(); image !== undefined; image = this.queue.shift()) {
        this.queuedBytes -= image.jpeg.length;
        if (this.stopped || this.failure !== undefined) return;
        await this.upload(image);
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private async upload(image: QueuedImage): Promise<void> {
    const { names, plan } = this.options;
    const index = this.nextIndex++;
    const key = cleanPath(`${names.storageDir}${imageFilename(names.prefix, plan.suffix, index, image.at)}`);
    const metadata = { 'egress-id': this.options.egressId, room: this.options.roomName };
    const stored = await this.options.storage.putObject(key, image.jpeg, { contentType: 'image/jpeg', metadata });
    this.entries.push({ filename: key, timestamp: image.at.toISOString(), location: stored.location });
  }

  private async runFinish(): Promise<InfoPatch> {
    const drained = await withTimeout(this.running ?? Promise.resolve(), drainTimeoutMs);
    if (this.failure !== undefined) throw this.failure;
    if (!drained) {
      this.stopped = true;
      throw new EgressError('internal', `image uploads did not finish in ${drainTimeoutMs / 1000} s`);
    }
    if (this.dropped > 0) this.log.warn('images dropped while storage was behind', { dropped: this.dropped });
    const result = new ImagesInfo({
      filenamePrefix: this.options.names.prefix,
      imageCount: BigInt(this.entries.length),
      startedAt: nowNanos(this.firstAt?.getTime()),
      endedAt: nowNanos(),
    });
    // Several images outputs may share one egress: replace only the entry with this prefix.
    return (info) => {
      info.imageResults = [...info.imageResults.filter((r) => r.filenamePrefix !== result.filenamePrefix), result];
    };
  }

  private fail(err: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = new EgressError('invalid_argument', `image upload failed: ${describeError(err)}`, {
      cause: err,
      fault: 'destination',
    });
    this.queue.splice(0);
    this.queuedBytes = 0;
    this.log.warn('images output failed', { error: this.failure.message });
    if (this.finishing === undefined) for (const listener of this.listeners.splice(0)) listener(this.failure);
  }
}

/** True when `promise` settled within `ms`. */
async function withTimeout(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
