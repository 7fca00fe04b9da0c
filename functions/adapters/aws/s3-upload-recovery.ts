import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListPartsCommand,
  S3Client,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import type { OpenUpload } from '#domain/egress-record.ts';
import type { StorageSpec } from '#domain/request/storage.ts';
import type { StoredObject } from '#ports/object-storage.ts';
import type { UploadRecovery } from '#ports/upload-recovery.ts';
import { s3ClientFor } from './s3-client-for.ts';
import { s3Location } from './s3-storage.ts';

/**
 * Completes the multipart upload of a task that died: the parts it uploaded, then its last recovery object
 * (the bytes not yet in a part) copied in as the final part. A recovery object older than the parts (saved
 * before a later part) is left out, since that part holds its bytes and more.
 */
export class S3UploadRecovery implements UploadRecovery {
  /**
   * @param client the deployment bucket's client
   * @param clientFor a client for a request's own S3Upload (its region, endpoint, keys or role)
   */
  constructor(
    private readonly client: S3Client = new S3Client({}),
    private readonly clientFor: (storage: StorageSpec) => S3Client = s3ClientFor,
  ) {}

  async recover(upload: OpenUpload, storage?: StorageSpec): Promise<StoredObject | undefined> {
    const client = storage === undefined ? this.client : this.clientFor(storage);
    try {
      return await recoverWith(client, upload);
    } finally {
      if (client !== this.client) client.destroy();
    }
  }
}

async function recoverWith(client: S3Client, upload: OpenUpload): Promise<StoredObject | undefined> {
  const { bucket, key, uploadId } = upload;
  const parts = await listParts(client, upload);
  const tail = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: upload.tailKey })).catch(() => undefined);
  const tailFollows =
    tail !== undefined && (tail.ContentLength ?? 0) > 0 && Number(tail.Metadata?.['parts'] ?? -1) === parts.length;
  if (parts.length === 0 && !tailFollows) {
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
      .catch(() => undefined);
    return undefined;
  }
  if (parts.length === 0) {
    // Nothing reached a part: the recovery object is the whole file.
    await client.send(
      new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: `${bucket}/${encodeKey(upload.tailKey)}` }),
    );
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
      .catch(() => undefined);
  } else {
    if (tailFollows) {
      const copied = await client.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber: parts.length + 1,
          CopySource: `${bucket}/${encodeKey(upload.tailKey)}`,
        }),
      );
      parts.push({ PartNumber: parts.length + 1, ETag: copied.CopyPartResult?.ETag });
    }
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  }
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: upload.tailKey })).catch(() => undefined);
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  return { key, location: s3Location(bucket, key), size: head.ContentLength ?? 0 };
}

async function listParts(client: S3Client, upload: OpenUpload): Promise<CompletedPart[]> {
  const out: CompletedPart[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 100; page += 1) {
    const res = await client.send(
      new ListPartsCommand({
        Bucket: upload.bucket,
        Key: upload.key,
        UploadId: upload.uploadId,
        PartNumberMarker: marker,
      }),
    );
    for (const p of res.Parts ?? []) out.push({ PartNumber: p.PartNumber, ETag: p.ETag });
    if (res.IsTruncated !== true) break;
    marker = res.NextPartNumberMarker;
  }
  return out.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
