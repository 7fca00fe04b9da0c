import type { OpenUpload } from '#domain/egress-record.ts';
import type { StorageSpec } from '#domain/request/storage.ts';
import type { StoredObject } from '#ports/object-storage.ts';
import type { UploadRecovery } from '#ports/upload-recovery.ts';

/**
 * Local mode's upload recovery: local outputs are plain files (nothing to complete), but an output with
 * its own S3Upload streams a multipart upload, which a dead task leaves open. Those are completed with the
 * request's settings, by the same code as on AWS; the AWS SDK loads only when one is needed.
 */
export class RequestUploadRecovery implements UploadRecovery {
  async recover(upload: OpenUpload, storage?: StorageSpec): Promise<StoredObject | undefined> {
    if (storage === undefined) return undefined;
    const { S3UploadRecovery } = await import('#adapters/aws/s3-upload-recovery.ts');
    // It builds the request's client (and destroys it after); its default client is never used here.
    return new S3UploadRecovery().recover(upload, storage);
  }
}
