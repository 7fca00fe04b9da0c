/** Options of an object written to storage. */
export interface ObjectOptions {
  readonly contentType: string;
  /** User metadata (S3 `x-amz-meta-*`): egress id, room name, plus the request's own. */
  readonly metadata: Readonly<Record<string, string>>;
  /** S3 tagging (`k=v&k2=v2`) and Content-Disposition from the request's S3Upload. */
  readonly tagging?: string;
  readonly contentDisposition?: string;
}

/** Bytes to write over a finished object at `offset`. */
export interface HeaderPatch {
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** A stored object. */
export interface StoredObject {
  /** Key (path) inside the storage. */
  readonly key: string;
  /** Where a user finds it: `s3://bucket/key`, an https URL, or a local path. */
  readonly location: string;
  readonly size: number;
}

/**
 * An object written while recording: chunks are appended in order and uploaded as they come (S3
 * multipart parts, or a local file growing), so what was written survives a crash of the task.
 */
export interface ObjectUpload {
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Finishes the object; it becomes visible (S3: CompleteMultipartUpload). `headerPatch` rewrites bytes
   * written earlier (a container's duration, known only at the end) where the storage can seek back — a
   * local file can; an S3 upload cannot, and ignores it.
   */
  complete(headerPatch?: HeaderPatch): Promise<StoredObject>;
  /** Gives up: nothing (S3) or what was written (local) remains. Idempotent. */
  abort(): Promise<void>;
}

/** Where outputs go: S3 (the deployment's bucket or a request's S3Upload) or a local folder. */
export interface ObjectStorage {
  openUpload(key: string, options: ObjectOptions): Promise<ObjectUpload>;
  putObject(key: string, body: Uint8Array | string, options: ObjectOptions): Promise<StoredObject>;
}
