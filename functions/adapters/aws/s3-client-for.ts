import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { S3StorageSpec } from '#domain/request/storage.ts';
import { registerSecret } from '#shared/logger.ts';

/**
 * An S3 client for a request's own S3Upload: its region, endpoint (S3-compatible stores), path style,
 * static credentials, or a role assumed with them (or with the task role). Secrets are registered with the
 * logger before any request can fail with them in a message.
 */
export function s3ClientFor(spec: S3StorageSpec): S3Client {
  const config: S3ClientConfig = {
    forcePathStyle: spec.forcePathStyle,
    // Streamed uploads must not be wrapped in aws-chunked framing by S3-compatible stores that don't speak it.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
  if (spec.region !== '') config.region = spec.region;
  if (spec.endpoint !== '') config.endpoint = spec.endpoint;
  const keys = spec.credentials;
  if (keys !== undefined) {
    registerSecret(keys.secretAccessKey);
    registerSecret(keys.sessionToken);
  }
  if (spec.assumeRole !== undefined) {
    config.credentials = fromTemporaryCredentials({
      params: {
        RoleArn: spec.assumeRole.roleArn,
        RoleSessionName: 'universal-egress',
        ...(spec.assumeRole.externalId === undefined ? {} : { ExternalId: spec.assumeRole.externalId }),
      },
      ...(keys === undefined ? {} : { masterCredentials: keys }),
    });
  } else if (keys !== undefined) {
    config.credentials = keys;
  }
  return new S3Client(config);
}
