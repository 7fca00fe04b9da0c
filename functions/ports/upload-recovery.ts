import type { OpenUpload } from '#domain/egress-record.ts';
import type { StoredObject } from './object-storage.ts';

/** Finishes the uploads a dead task left open, keeping every byte it got to storage. */
export interface UploadRecovery {
  /** Completes `upload` with its uploaded parts and recovery tail; undefined when nothing was uploaded. */
  recover(upload: OpenUpload): Promise<StoredObject | undefined>;
}
