import type { OpenUpload } from '#domain/egress-record.ts';
import type { StorageSpec } from '#domain/request/storage.ts';
import type { ObjectOptions, ObjectStorage, ObjectUpload, StoredObject } from '#ports/object-storage.ts';

/** Output storage for an output's spec: the request's own S3Upload, or the deployment's default. */
export type StorageResolver = (spec: StorageSpec | undefined) => ObjectStorage;

/**
 * Builds a resolver: request specs always go to S3 (or an S3-compatible store); undefined → `fallback`.
 * `onUploadOpen` hears of every upload to a request's own S3Upload, marked so, for its recovery.
 */
export function storageResolver(
  fallback: ObjectStorage,
  onUploadOpen: (upload: OpenUpload) => void = () => undefined,
): StorageResolver {
  return (spec) => (spec === undefined ? fallback : new RequestS3Storage(spec, onUploadOpen));
}

/** A request's own S3 storage; the AWS SDK is loaded on first use, so tasks that never need it start faster. */
class RequestS3Storage implements ObjectStorage {
  private storage: Promise<ObjectStorage> | undefined;

  constructor(
    private readonly spec: StorageSpec,
    private readonly onUploadOpen: (upload: OpenUpload) => void,
  ) {}

  async openUpload(key: string, options: ObjectOptions): Promise<ObjectUpload> {
    return (await this.load()).openUpload(key, options);
  }

  async putObject(key: string, body: Uint8Array | string, options: ObjectOptions): Promise<StoredObject> {
    return (await this.load()).putObject(key, body, options);
  }

  private load(): Promise<ObjectStorage> {
    this.storage ??= (async () => {
      const [{ S3ObjectStorage }, { s3ClientFor }] = await Promise.all([
        import('#adapters/aws/s3-storage.ts'),
        import('#adapters/aws/s3-client-for.ts'),
      ]);
      return new S3ObjectStorage(this.spec.bucket, s3ClientFor(this.spec), {
        onOpen: (upload) => this.onUploadOpen({ ...upload, requestStorage: true }),
      });
    })();
    return this.storage;
  }
}
