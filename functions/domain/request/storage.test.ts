import { AliOSSUpload, StorageConfig } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { errorOf, s3 } from './request-fixtures.ts';
import { resolveStorage, storageFromUpload } from './storage.ts';

describe('storageFromUpload', () => {
  it('maps every S3 field', () => {
    const upload = s3({
      accessKey: 'AK',
      secret: 'SK',
      sessionToken: 'ST',
      assumeRoleArn: 'arn:aws:iam::1:role/r',
      assumeRoleExternalId: 'ext',
      endpoint: 'http://127.0.0.1:5000',
      forcePathStyle: true,
      metadata: { room: 'demo' },
      tagging: 'a=b',
      contentDisposition: 'attachment',
      proxy: { url: 'http://proxy:3128', username: 'u', password: 'p' },
    });
    expect(storageFromUpload({ case: 's3', value: upload })).toEqual({
      provider: 's3',
      bucket: 'recordings',
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:5000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'ST' },
      assumeRole: { roleArn: 'arn:aws:iam::1:role/r', externalId: 'ext' },
      metadata: { room: 'demo' },
      tagging: 'a=b',
      contentDisposition: 'attachment',
      proxy: { url: 'http://proxy:3128', username: 'u', password: 'p' },
    });
  });

  it('leaves credentials to the task role when none are given', () => {
    const spec = storageFromUpload({ case: 's3', value: s3() });
    expect(spec?.credentials).toBeUndefined();
    expect(spec?.assumeRole).toBeUndefined();
  });

  it('means the deployment default when nothing is named', () => {
    expect(storageFromUpload({ case: undefined })).toBeUndefined();
  });

  it('rejects an S3 upload without bucket', () => {
    expect(errorOf(() => storageFromUpload({ case: 's3', value: s3({ bucket: '' }) })).message).toBe(
      'request has missing or invalid field: s3.bucket',
    );
  });

  it('rejects half a key pair', () => {
    expect(errorOf(() => storageFromUpload({ case: 's3', value: s3({ accessKey: 'AK' }) })).message).toBe(
      'request has missing or invalid field: s3.secret',
    );
    expect(errorOf(() => storageFromUpload({ case: 's3', value: s3({ secret: 'SK' }) })).message).toBe(
      'request has missing or invalid field: s3.access_key',
    );
  });

  it('rejects storage other than S3', () => {
    const error = errorOf(() => storageFromUpload({ case: 'aliOSS', value: new AliOSSUpload() }));
    expect({ code: error.code, message: error.message }).toEqual({
      code: 'invalid_argument',
      message: 'request has missing or invalid field: aliOSS (only S3 or S3-compatible storage is supported)',
    });
  });
});

describe('resolveStorage', () => {
  const config = (bucket: string): StorageConfig =>
    new StorageConfig({ provider: { case: 's3', value: s3({ bucket }) } });

  it('prefers the output, then the request, then the deployment', () => {
    expect(resolveStorage(config('out'), config('req'))?.bucket).toBe('out');
    expect(resolveStorage(undefined, config('req'))?.bucket).toBe('req');
    expect(resolveStorage(new StorageConfig(), config('req'))?.bucket).toBe('req');
    expect(resolveStorage(undefined, undefined)).toBeUndefined();
  });
});
