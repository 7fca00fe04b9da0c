import { RemovalPolicy } from 'aws-cdk-lib';
import type { LogLevel, OutputLifecycleOptions, TaskSubnetType, UniversalEgressProps } from './props.ts';

/** A context value is missing or malformed; the message names the key, shows the value and how to set it. */
export class ContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContextError';
  }
}

/** Construct props that the stack resolves from ids/ARNs given in context. */
export type EgressPropsFromContext = Omit<UniversalEgressProps, 'vpc' | 'livekitSecret' | 'alarmTopic' | 'eventBus'>;

/** What `infra/app.ts` deploys, read from CDK context (`-c key=value` or `"context"` in cdk.json). */
export interface AppConfig {
  /** Stack name (context `stackName`, default `UniversalEgress`). */
  readonly stackName: string;
  /** Run the cdk-nag AwsSolutions checks at synth (context `nag`, default true). */
  readonly nag: boolean;
  readonly egress: EgressPropsFromContext;
  /** Existing VPC to import by lookup (context `vpcId`); needs AWS credentials and an account/region. */
  readonly vpcId: string | undefined;
  /** Complete ARN of an existing secret holding the LiveKit API secret (context `livekitSecretArn`). */
  readonly livekitSecretArn: string | undefined;
  /** ARN of an SNS topic for the alarms (context `alarmTopicArn`). */
  readonly alarmTopicArn: string | undefined;
}

/** Every context key the app reads. */
export const CONTEXT_KEYS = [
  'livekitUrl',
  'livekitApiKey',
  'livekitSecretArn',
  'webhookUrls',
  'stackName',
  'vpcId',
  'taskSubnets',
  'natGateways',
  'gpuInstanceType',
  'gpuMaxInstances',
  'spot',
  'bucketVersioned',
  'expireAfterDays',
  'infrequentAccessAfterDays',
  'glacierAfterDays',
  'removalPolicy',
  'logLevel',
  'alarmTopicArn',
  'nag',
  'lambdaAssetDir',
] as const;

type Lookup = (key: string) => unknown;

/**
 * Reads the app configuration from context. Values from `-c` arrive as strings, values from cdk.json keep
 * their JSON type; both are accepted. The construct validates the values further (URL schemes, ranges).
 */
export function readAppConfig(lookup: Lookup): AppConfig {
  const read = new ContextReader(lookup);
  const lifecycle: OutputLifecycleOptions = {
    expireAfterDays: read.number('expireAfterDays'),
    infrequentAccessAfterDays: read.number('infrequentAccessAfterDays'),
    glacierAfterDays: read.number('glacierAfterDays'),
  };
  const gpuInstanceType = read.string('gpuInstanceType');
  const gpuMaxInstances = read.number('gpuMaxInstances');
  const removal = read.oneOf('removalPolicy', ['retain', 'destroy']);
  return {
    stackName: read.string('stackName') ?? 'UniversalEgress',
    nag: read.boolean('nag') ?? true,
    vpcId: read.string('vpcId'),
    livekitSecretArn: read.arn('livekitSecretArn'),
    alarmTopicArn: read.arn('alarmTopicArn'),
    egress: {
      livekitUrl: read.required('livekitUrl', 'wss://your-livekit.example.com'),
      livekitApiKey: read.required('livekitApiKey', 'APIxxxxxxxx'),
      webhookUrls: read.list('webhookUrls'),
      taskSubnets: read.oneOf('taskSubnets', ['public', 'private'] as const satisfies readonly TaskSubnetType[]),
      natGateways: read.number('natGateways'),
      gpuCapacity:
        gpuInstanceType === undefined && gpuMaxInstances === undefined
          ? undefined
          : { instanceType: gpuInstanceType, maxInstances: gpuMaxInstances },
      spot: read.boolean('spot'),
      bucketVersioned: read.boolean('bucketVersioned'),
      outputLifecycle: lifecycle,
      removalPolicy:
        removal === undefined ? undefined : removal === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      lambdaAssetDir: read.string('lambdaAssetDir'),
      logLevel: read.oneOf('logLevel', ['debug', 'info', 'warn', 'error'] as const satisfies readonly LogLevel[]),
    },
  };
}

class ContextReader {
  constructor(private readonly lookup: Lookup) {}

  required(key: string, example: string): string {
    const value = this.string(key);
    if (value === undefined) {
      throw new ContextError(
        `Missing context value "${key}": pass -c ${key}=${example} to cdk, or set it under "context" in cdk.json`,
      );
    }
    return value;
  }

  string(key: string): string | undefined {
    const value = this.lookup(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw this.bad(key, value, 'a string');
    return value.trim();
  }

  number(key: string): number | undefined {
    const value = this.lookup(key);
    if (value === undefined || value === null || value === '') return undefined;
    const parsed = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
    if (!Number.isFinite(parsed)) throw this.bad(key, value, 'a number');
    return parsed;
  }

  boolean(key: string): boolean | undefined {
    const value = this.lookup(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw this.bad(key, value, 'true or false');
  }

  oneOf<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const value = this.string(key);
    if (value === undefined) return undefined;
    const match = allowed.find((candidate) => candidate === value);
    if (match === undefined) throw this.bad(key, value, `one of ${allowed.join(', ')}`);
    return match;
  }

  /** A JSON array of strings (cdk.json) or a comma-separated string (`-c`). */
  list(key: string): string[] | undefined {
    const value = this.lookup(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value.map((s) => s.trim());
    if (typeof value === 'string') {
      return value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    }
    throw this.bad(key, value, 'a comma-separated string or an array of strings');
  }

  arn(key: string): string | undefined {
    const value = this.string(key);
    if (value !== undefined && !value.startsWith('arn:')) throw this.bad(key, value, 'an ARN (arn:aws:…)');
    return value;
  }

  private bad(key: string, value: unknown, expected: string): ContextError {
    return new ContextError(`Context value "${key}" must be ${expected}, got ${JSON.stringify(value)}`);
  }
}
