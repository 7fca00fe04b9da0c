import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import type { ObjectOptions, ObjectStorage, ObjectUpload, StoredObject } from '#ports/object-storage.ts';

/** S3's smallest part (all but the last). */
export const minPartBytes = 5 * 1024 * 1024;

/** Called after each part is stored, so a crash can be recovered (the record keeps the upload id). */
export type PartListener = (upload: { bucket: string; key: string; uploadId: string; parts: number }) => void;

/**
 * {@link ObjectStorage} on S3: the deployment's bucket or a request's own S3Upload. Uploads are multipart and
 * streamed — a part goes up as soon as 5 MiB have been written, not one PUT at the end — and carry the
 * object's metadata, tagging and content disposition.
 */
export class S3ObjectStorage implements ObjectStorage {
  constructor(
    private readonly bucket: string,
    private readonly client: S3Client = new S3Client({}),
    private readonly onPart?: PartListener,
  ) {}

  async openUpload(key: string, options: ObjectOptions): Promise<ObjectUpload> {
    const res = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ...this.objectFields(options) }),
    );
    if (res.UploadId === undefined) throw new Error(`S3 gave no upload id for ${key}`);
    return new S3Upload(this.client, this.bucket, key, res.UploadId, this.location(key), this.onPart);
  }

  async putObject(key: string, body: Uint8Array | string, options: ObjectOptions): Promise<StoredObject> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ...this.objectFields(options) }),
    );
    return {
      key,
      location: this.location(key),
      size: typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength,
    };
  }

  private objectFields(options: ObjectOptions) {
    return {
      ContentType: options.contentType,
      Metadata: { ...options.metadata },
      ...(options.tagging === undefined || options.tagging === '' ? {} : { Tagging: options.tagging }),
      ...(options.contentDisposition === undefined || options.contentDisposition === ''
        ? {}
        : { ContentDisposition: options.contentDisposition }),
    };
  }

  private location(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }
}

class S3Upload implements ObjectUpload {
  private buffered: Uint8Array[] = [];
  private bufferedBytes = 0;
  private size = 0;
  private readonly parts: CompletedPart[] = [];
  private done = false;
  /** Parts go up one at a time, in order; writes wait for the part in flight (backpressure). */
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly uploadId: string,
    private readonly location: string,
    private readonly onPart?: PartListener,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    if (this.done) throw new Error(`upload of ${this.key} is closed`);
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.byteLength;
    this.size += chunk.byteLength;
    if (this.bufferedBytes >= minPartBytes) await this.flushPart();
  }

  async complete(): Promise<StoredObject> {
    if (this.bufferedBytes > 0 || this.parts.length === 0) await this.flushPart();
    await this.inFlight;
    this.done = true;
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: this.uploadId,
        MultipartUpload: { Parts: this.parts },
      }),
    );
    return { key: this.key, location: this.location, size: this.size };
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.inFlight.catch(() => undefined);
    await this.client.send(
      new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId }),
    );
  }

  private async flushPart(): Promise<void> {
    const body = Buffer.concat(this.buffered);
    this.buffered = [];
    this.bufferedBytes = 0;
    const partNumber = this.parts.length + 1;
    this.parts.push({ PartNumber: partNumber });
    const previous = this.inFlight;
    this.inFlight = (async () => {
      await previous;
      const res = await this.client.send(
        new UploadPartCommand({
          Bucket: this.bucket,
          Key: this.key,
          UploadId: this.uploadId,
          PartNumber: partNumber,
          Body: body,
        }),
      );
      const part = this.parts[partNumber - 1];
      if (part !== undefined) part.ETag = res.ETag;
      this.onPart?.({ bucket: this.bucket, key: this.key, uploadId: this.uploadId, parts: partNumber });
    })();
    await this.inFlight;
  }
}
