import type { AliOSSUpload, AzureBlobUpload, GCPUpload, S3Upload, StorageConfig } from '@livekit/protocol';
import { invalidField } from '#domain/errors.ts';

/**
 * Where an output is uploaded. Only S3 and S3-compatible stores are supported; `undefined` anywhere a
 * `StorageSpec` is expected means the deployment's default bucket. Holds credentials: never log it.
 */
export interface S3StorageSpec {
  readonly provider: 's3';
  readonly bucket: string;
  /** Empty: the SDK's region resolution. */
  readonly region: string;
  /** Empty: AWS S3 itself; otherwise an S3-compatible endpoint (MinIO, R2…). */
  readonly endpoint: string;
  readonly forcePathStyle: boolean;
  /** Static credentials from the request; undefined: the task's own role. */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** A role to assume for the upload (with the credentials above, or the task role when there are none). */
  readonly assumeRole?: { readonly roleArn: string; readonly externalId?: string };
  /** Object metadata (`x-amz-meta-*`). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Object tags as a URL-encoded query string, `''` for none. */
  readonly tagging: string;
  /** `Content-Disposition` of uploaded objects, `''` for none. */
  readonly contentDisposition: string;
  readonly proxy?: { readonly url: string; readonly username: string; readonly password: string };
}

/** Upload destination of an output; see {@link S3StorageSpec}. */
export type StorageSpec = S3StorageSpec;

/** The `s3 | gcp | azure | aliOSS` oneof of upload configs, in both its v1 (`output`) and v2 (`provider`) forms. */
export type UploadChoice =
  | { readonly case: 's3'; readonly value: S3Upload }
  | { readonly case: 'gcp'; readonly value: GCPUpload }
  | { readonly case: 'azure'; readonly value: AzureBlobUpload }
  | { readonly case: 'aliOSS'; readonly value: AliOSSUpload }
  | { readonly case: undefined; readonly value?: undefined };

/**
 * The storage an upload oneof names, or undefined when it names none. GCP, Azure and AliOSS are rejected:
 * this service writes only to S3 and S3-compatible stores.
 */
export function storageFromUpload(upload: UploadChoice): StorageSpec | undefined {
  switch (upload.case) {
    case undefined:
      return undefined;
    case 's3':
      return fromS3(upload.value);
    default:
      throw invalidField(upload.case, 'only S3 or S3-compatible storage is supported');
  }
}

/**
 * Storage precedence of a v2 output: the output's own `storage`, then the request's, then the deployment
 * default (undefined). A `storage` naming no provider counts as unset.
 */
export function resolveStorage(
  outputStorage: StorageConfig | undefined,
  requestStorage: StorageConfig | undefined,
): StorageSpec | undefined {
  return (
    storageFromUpload(outputStorage?.provider ?? { case: undefined }) ??
    storageFromUpload(requestStorage?.provider ?? { case: undefined })
  );
}

function fromS3(s3: S3Upload): S3StorageSpec {
  // LiveKit only fails at upload time; these are caught here, before anything is recorded.
  if (s3.bucket === '') throw invalidField('s3.bucket');
  if (s3.accessKey === '' && s3.secret !== '') throw invalidField('s3.access_key');
  if (s3.accessKey !== '' && s3.secret === '') throw invalidField('s3.secret');
  return {
    provider: 's3',
    bucket: s3.bucket,
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.forcePathStyle,
    credentials:
      s3.accessKey === ''
        ? undefined
        : {
            accessKeyId: s3.accessKey,
            secretAccessKey: s3.secret,
            sessionToken: s3.sessionToken === '' ? undefined : s3.sessionToken,
          },
    assumeRole:
      s3.assumeRoleArn === ''
        ? undefined
        : {
            roleArn: s3.assumeRoleArn,
            externalId: s3.assumeRoleExternalId === '' ? undefined : s3.assumeRoleExternalId,
          },
    metadata: { ...s3.metadata },
    tagging: s3.tagging,
    contentDisposition: s3.contentDisposition,
    proxy:
      s3.proxy === undefined || s3.proxy.url === ''
        ? undefined
        : { url: s3.proxy.url, username: s3.proxy.username, password: s3.proxy.password },
  };
}
