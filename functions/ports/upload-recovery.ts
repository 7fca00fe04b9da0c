import type { OpenUpload } from '#domain/egress-record.ts';
import type { StorageSpec } from '#domain/request/storage.ts';
import type { StoredObject } from './object-storage.ts';

/** Finishes the uploads a dead task left open, keeping every byte it got to storage. */
export interface UploadRecovery {
  /**
   * Completes `upload` with its uploaded parts and recovery tail; undefined when nothing was uploaded.
   * `storage`: the request's own settings for an upload to an output's S3Upload (else the deployment's).
   */
  recover(upload: OpenUpload, storage?: StorageSpec): Promise<StoredObject | undefined>;
}
