import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UniversalEgressProps } from './props.ts';
import { baseProps, placeholderLambdaDir, removeTempDirs } from './test-support.ts';
import { UniversalEgress } from './universal-egress.ts';
import { UniversalEgressPropsError } from './validate-props.ts';

let lambdaDir: string;
beforeAll(() => {
  lambdaDir = placeholderLambdaDir();
});
afterAll(removeTempDirs);

function build(overrides: Partial<UniversalEgressProps>, dir = lambdaDir): UniversalEgress {
  const stack = new Stack(new App(), 'Test');
  return new UniversalEgress(stack, 'Egress', { ...baseProps(dir), ...overrides });
}

/** Building with `overrides` throws a props error whose message contains every `parts` string. */
function expectRejected(overrides: Partial<UniversalEgressProps>, ...parts: string[]): void {
  let caught: unknown;
  try {
    build(overrides);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(UniversalEgressPropsError);
  for (const part of parts) expect((caught as Error).message).toContain(part);
}

describe('UniversalEgress props validation', () => {
  it('accepts the base props', () => {
    expect(build({})).toBeInstanceOf(UniversalEgress);
  });

  it('rejects a LiveKit URL that is not ws(s) or http(s), naming the value', () => {
    expectRejected({ livekitUrl: 'ftp://livekit.example.com' }, 'livekitUrl', "'ftp://livekit.example.com'");
    expectRejected({ livekitUrl: 'livekit.example.com' }, 'livekitUrl', "'livekit.example.com'");
    expectRejected({ livekitUrl: '' }, 'livekitUrl', "''");
  });

  it('rejects an empty or spaced API key', () => {
    expectRejected({ livekitApiKey: ' ' }, 'livekitApiKey', "' '");
    expectRejected({ livekitApiKey: 'API key' }, 'livekitApiKey', "'API key'");
  });

  it('rejects webhook URLs that are not http(s) or contain a comma', () => {
    expectRejected({ webhookUrls: ['https://ok.example.com', 'wss://x.example.com'] }, 'webhookUrls[1]', 'wss://x');
    expectRejected({ webhookUrls: ['https://a.example.com/?x=1,2'] }, 'webhookUrls[0]', 'comma');
  });

  it('rejects lifecycle days that are not positive whole numbers', () => {
    expectRejected({ outputLifecycle: { expireAfterDays: 0 } }, 'outputLifecycle.expireAfterDays', 'got 0');
    expectRejected({ outputLifecycle: { expireAfterDays: -3 } }, 'outputLifecycle.expireAfterDays', 'got -3');
    expectRejected({ outputLifecycle: { glacierAfterDays: 1.5 } }, 'outputLifecycle.glacierAfterDays', 'got 1.5');
    expectRejected(
      { outputLifecycle: { abortIncompleteUploadsAfterDays: 0 } },
      'outputLifecycle.abortIncompleteUploadsAfterDays',
      'got 0',
    );
  });

  it('rejects lifecycle transitions S3 would refuse', () => {
    expectRejected({ outputLifecycle: { infrequentAccessAfterDays: 10 } }, 'at least 30', 'got 10');
    expectRejected(
      { outputLifecycle: { infrequentAccessAfterDays: 60, glacierAfterDays: 60 } },
      'glacierAfterDays',
      'got 60',
    );
    expectRejected(
      { outputLifecycle: { infrequentAccessAfterDays: 30, expireAfterDays: 30 } },
      'expireAfterDays',
      'day 30',
    );
  });

  it('rejects a GPU instance type that is not g4dn or g5', () => {
    const gpu = (instanceType: string): Partial<UniversalEgressProps> => ({
      taskSubnets: 'private',
      gpuCapacity: { instanceType },
    });
    expectRejected(gpu('p3.2xlarge'), 'gpuCapacity.instanceType', "'p3.2xlarge'");
    expectRejected(gpu('g4dn'), 'gpuCapacity.instanceType', "'g4dn'");
    expectRejected(gpu('g6.xlarge'), "'g6.xlarge'");
    expectRejected({ taskSubnets: 'private', gpuCapacity: { maxInstances: 0 } }, 'gpuCapacity.maxInstances', 'got 0');
  });

  it('rejects GPU capacity with tasks in public subnets', () => {
    expectRejected({ gpuCapacity: {} }, 'gpuCapacity requires', "taskSubnets 'public'");
  });

  it('rejects other out-of-range numbers and unknown words', () => {
    expectRejected({ taskSubnets: 'private', natGateways: 0 }, 'natGateways', 'got 0');
    expectRejected({ taskSubnets: 'private', natGateways: 3 }, 'natGateways', 'got 3');
    expectRejected({ apiRateLimit: 0 }, 'apiRateLimit', 'got 0');
    expectRejected({ reconnectWindowSeconds: 3601 }, 'reconnectWindowSeconds', 'got 3601');
    expectRejected({ reconnectWindowSeconds: 1.5 }, 'reconnectWindowSeconds', 'got 1.5');
    expectRejected({ accessLogRetentionDays: -1 }, 'accessLogRetentionDays', 'got -1');
    expectRejected({ logLevel: 'verbose' as never }, 'logLevel', "'verbose'");
    expectRejected({ taskSubnets: 'isolated' as never }, 'taskSubnets', "'isolated'");
  });

  it('rejects a missing Lambda bundle, naming the file and the build command', () => {
    const dir = placeholderLambdaDir();
    rmSync(join(dir, 'reconciler'), { recursive: true });
    expect(() => build({}, dir)).toThrow(UniversalEgressPropsError);
    expect(() => build({}, dir)).toThrow(join(dir, 'reconciler', 'index.mjs'));
    expect(() => build({}, dir)).toThrow('run `node scripts/build.mjs`');
  });
});
