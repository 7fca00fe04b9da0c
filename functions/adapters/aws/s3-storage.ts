import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import type { OpenUpload } from '#domain/egress-record.ts';
import type { ObjectOptions, ObjectStorage, ObjectUpload, StoredObject } from '#ports/object-storage.ts';

/** S3's smallest part (all but the last). */
export const minPartBytes = 5 * 1024 * 1024;
/** How often the bytes not yet in a part are saved for recovery: the most a crash can lose. */
export const checkpointMs = 4_000;
/** Prefix of recovery objects (consumers of bucket events should ignore it). */
export const recoveryPrefix = '_egress-recovery/';

export interface S3StorageOptions {
  /** Told when an upload opens, so its recovery data can be recorded. */
  readonly onOpen?: (upload: OpenUpload) => void;
}

/**
 * {@link ObjectStorage} on S3: the deployment's bucket or a request's own S3Upload. Uploads are multipart and
 * streamed — a part goes up as soon as 5 MiB have been written — and every few seconds the bytes not yet in a
 * part are saved as a recovery object, so a task killed at any moment loses at most {@link checkpointMs}.
 */
export class S3ObjectStorage implements ObjectStorage {
  constructor(
    private readonly bucket: string,
    private readonly client: S3Client = new S3Client({}),
    private readonly options: S3StorageOptions = {},
  ) {}

  async openUpload(key: string, options: ObjectOptions): Promise<ObjectUpload> {
    const res = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ...objectFields(options) }),
    );
    if (res.UploadId === undefined) throw new Error(`S3 gave no upload id for ${key}`);
    const open: OpenUpload = {
      bucket: this.bucket,
      key,
      uploadId: res.UploadId,
      tailKey: `${recoveryPrefix}${res.UploadId}`,
    };
    this.options.onOpen?.(open);
    return new S3Upload(this.client, open, s3Location(this.bucket, key));
  }

  async putObject(key: string, body: Uint8Array | string, options: ObjectOptions): Promise<StoredObject> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ...objectFields(options) }),
    );
    return {
      key,
      location: s3Location(this.bucket, key),
      size: typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
    };
  }
}

/** `s3://bucket/key`: where an object is, for FileInfo.location and manifests. */
export function s3Location(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

function objectFields(options: ObjectOptions) {
  return {
    ContentType: options.contentType,
    Metadata: { ...options.metadata },
    ...(options.tagging === undefined || options.tagging === '' ? {} : { Tagging: options.tagging }),
    ...(options.contentDisposition === undefined || options.contentDisposition === ''
      ? {}
      : { ContentDisposition: options.contentDisposition }),
  };
}

class S3Upload implements ObjectUpload {
  private buffered: Uint8Array[] = [];
  private bufferedBytes = 0;
  private size = 0;
  private readonly parts: CompletedPart[] = [];
  private done = false;
  /** S3 calls go one at a time, in order; writes wait for a part in flight (backpressure). */
  private chain: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private tailSaved = false;
  private tailDirty = false;

  constructor(
    private readonly client: S3Client,
    private readonly open: OpenUpload,
    private readonly location: string,
  ) {
    this.timer = setInterval(() => void this.checkpoint(), checkpointMs);
    this.timer.unref();
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw new Error(`upload of ${this.open.key} is closed`);
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.byteLength;
    this.size += chunk.byteLength;
    this.tailDirty = true;
    if (this.bufferedBytes >= minPartBytes) await this.enqueue(() => this.uploadPart(this.take()));
  }

  async complete(): Promise<StoredObject> {
    this.close();
    if (this.bufferedBytes > 0 || this.parts.length === 0) {
      const body = this.take();
      await this.enqueue(() => this.uploadPart(body));
    }
    await this.chain;
    const { bucket, key, uploadId } = this.open;
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: this.parts },
      }),
    );
    await this.dropTail();
    return { key, location: this.location, size: this.size };
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.close();
    await this.chain.catch(() => undefined);
    const { bucket, key, uploadId } = this.open;
    await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
    await this.dropTail();
  }

  private close(): void {
    this.done = true;
    clearInterval(this.timer);
  }

  private take(): Buffer {
    const body = Buffer.concat(this.buffered);
    this.buffered = [];
    this.bufferedBytes = 0;
    return body;
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(step);
    return this.chain;
  }

  private async uploadPart(body: Buffer): Promise<void> {
    const { bucket, key, uploadId } = this.open;
    const partNumber = this.parts.length + 1;
    const res = await this.client.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber, Body: body }),
    );
    this.parts.push({ PartNumber: partNumber, ETag: res.ETag });
  }

  /** Saves the bytes not yet in a part as the recovery object (replacing the previous one). */
  private async checkpoint(): Promise<void> {
    if (this.done || !this.tailDirty) return;
    this.tailDirty = false;
    await this.enqueue(async () => {
      // Taken here, in the chain: every part queued before has taken its bytes, so the tail is exactly what
      // follows the parts uploaded so far.
      const tail = Buffer.concat(this.buffered);
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.open.bucket,
          Key: this.open.tailKey,
          Body: tail,
          Metadata: { parts: String(this.parts.length) },
        }),
      );
      this.tailSaved = true;
    }).catch(() => {
      // A failed checkpoint is retried at the next tick; the recording itself goes on.
      this.tailDirty = true;
    });
  }

  private async dropTail(): Promise<void> {
    if (!this.tailSaved) return;
    await this.client
      .send(new DeleteObjectCommand({ Bucket: this.open.bucket, Key: this.open.tailKey }))
      .catch(() => undefined);
  }
}
