import { RemovalPolicy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ContextError, readAppConfig } from './context.ts';

const required = { livekitUrl: 'wss://livekit.example.com', livekitApiKey: 'APIkey' };
const read = (context: Record<string, unknown>): ReturnType<typeof readAppConfig> =>
  readAppConfig((key) => context[key]);

describe('app context', () => {
  it('reads the required values and applies the defaults', () => {
    const config = read(required);
    expect(config).toMatchObject({
      stackName: 'UniversalEgress',
      nag: true,
      vpcId: undefined,
      livekitSecretArn: undefined,
      egress: { livekitUrl: 'wss://livekit.example.com', livekitApiKey: 'APIkey', gpuCapacity: undefined },
    });
  });

  it('rejects a missing livekitUrl or livekitApiKey, saying how to pass it', () => {
    expect(() => read({ livekitApiKey: 'APIkey' })).toThrow(ContextError);
    expect(() => read({ livekitApiKey: 'APIkey' })).toThrow(
      'Missing context value "livekitUrl": pass -c livekitUrl=wss://',
    );
    expect(() => read({ livekitUrl: 'wss://x.example.com', livekitApiKey: '' })).toThrow(
      'Missing context value "livekitApiKey"',
    );
  });

  it('parses -c strings: lists, numbers, booleans and words', () => {
    const config = read({
      ...required,
      webhookUrls: 'https://a.example.com/h, https://b.example.com/h',
      taskSubnets: 'private',
      natGateways: '2',
      gpuInstanceType: 'g5.xlarge',
      spot: 'true',
      bucketVersioned: 'false',
      expireAfterDays: '365',
      removalPolicy: 'destroy',
      logLevel: 'debug',
      nag: 'false',
    });
    expect(config.nag).toBe(false);
    expect(config.egress).toMatchObject({
      webhookUrls: ['https://a.example.com/h', 'https://b.example.com/h'],
      taskSubnets: 'private',
      natGateways: 2,
      gpuCapacity: { instanceType: 'g5.xlarge', maxInstances: undefined },
      spot: true,
      bucketVersioned: false,
      outputLifecycle: { expireAfterDays: 365 },
      removalPolicy: RemovalPolicy.DESTROY,
      logLevel: 'debug',
    });
  });

  it('accepts cdk.json JSON types', () => {
    const config = read({ ...required, webhookUrls: ['https://a.example.com/h'], spot: false, gpuMaxInstances: 4 });
    expect(config.egress).toMatchObject({
      webhookUrls: ['https://a.example.com/h'],
      spot: false,
      gpuCapacity: { maxInstances: 4 },
    });
  });

  it('rejects malformed values, naming the key and the value', () => {
    expect(() => read({ ...required, spot: 'yes' })).toThrow('Context value "spot" must be true or false, got "yes"');
    expect(() => read({ ...required, natGateways: 'two' })).toThrow('"natGateways" must be a number, got "two"');
    expect(() => read({ ...required, taskSubnets: 'isolated' })).toThrow(
      '"taskSubnets" must be one of public, private, got "isolated"',
    );
    expect(() => read({ ...required, livekitSecretArn: 'my-secret' })).toThrow('"livekitSecretArn" must be an ARN');
    expect(() => read({ ...required, webhookUrls: 42 })).toThrow('"webhookUrls" must be a comma-separated string');
  });
});
