import { Token } from 'aws-cdk-lib';
import type { GpuCapacityOptions, LogLevel, OutputLifecycleOptions, UniversalEgressProps } from './props.ts';

/** A prop of {@link UniversalEgress} is invalid; the message names the prop and shows the bad value. */
export class UniversalEgressPropsError extends Error {
  constructor(message: string) {
    super(`UniversalEgress: ${message}`);
    this.name = 'UniversalEgressPropsError';
  }
}

/** GPU instance families with NVENC that the ECS GPU-optimized AMI supports and that fit our encoder. */
const GPU_INSTANCE_TYPE = /^(g4dn|g5)\.(xlarge|[0-9]+xlarge|metal)$/;
const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** The GPU settings with their defaults applied. */
export interface ResolvedGpuCapacity {
  readonly instanceType: string;
  readonly maxInstances: number;
}

/** Checks every prop and applies the defaults that other parts of the construct read. */
export function validateProps(props: UniversalEgressProps): {
  readonly taskSubnets: 'public' | 'private';
  readonly natGateways: number;
  readonly gpu: ResolvedGpuCapacity | undefined;
} {
  checkUrl('livekitUrl', props.livekitUrl, ['ws:', 'wss:', 'http:', 'https:']);
  checkApiKey(props.livekitApiKey);
  props.webhookUrls?.forEach((url, i) => {
    checkUrl(`webhookUrls[${i}]`, url, ['http:', 'https:']);
    // The Lambdas receive the list comma-separated (EGRESS_WEBHOOK_URLS).
    if (!Token.isUnresolved(url) && url.includes(',')) {
      throw new UniversalEgressPropsError(`webhookUrls[${i}] must not contain a comma, got ${show(url)}`);
    }
  });
  if (props.logLevel !== undefined && !LOG_LEVELS.includes(props.logLevel)) {
    throw new UniversalEgressPropsError(
      `logLevel must be one of ${LOG_LEVELS.join(', ')}, got ${show(props.logLevel)}`,
    );
  }
  const taskSubnets = props.taskSubnets ?? 'public';
  if (taskSubnets !== 'public' && taskSubnets !== 'private') {
    throw new UniversalEgressPropsError(`taskSubnets must be 'public' or 'private', got ${show(taskSubnets)}`);
  }
  const natGateways = props.natGateways ?? 1;
  checkWholeNumber('natGateways', natGateways, 1, 2);
  checkLifecycle(props.outputLifecycle ?? {});
  if (props.accessLogRetentionDays !== undefined) {
    checkWholeNumber('accessLogRetentionDays', props.accessLogRetentionDays, 1);
  }
  if (props.apiRateLimit !== undefined) checkWholeNumber('apiRateLimit', props.apiRateLimit, 1);
  if (props.reconnectWindowSeconds !== undefined) {
    checkWholeNumber('reconnectWindowSeconds', props.reconnectWindowSeconds, 0, 3600);
  }
  const gpu = props.gpuCapacity === undefined ? undefined : resolveGpu(props.gpuCapacity);
  if (gpu !== undefined && taskSubnets !== 'private') {
    throw new UniversalEgressPropsError(
      `gpuCapacity requires taskSubnets: 'private' (tasks on EC2 instances get no public IP, so they need a NAT), got taskSubnets ${show(taskSubnets)}`,
    );
  }
  return { taskSubnets, natGateways, gpu };
}

function resolveGpu(options: GpuCapacityOptions): ResolvedGpuCapacity {
  const instanceType = options.instanceType ?? 'g4dn.xlarge';
  if (!GPU_INSTANCE_TYPE.test(instanceType)) {
    throw new UniversalEgressPropsError(
      `gpuCapacity.instanceType must be a g4dn or g5 size (e.g. g4dn.xlarge, g5.2xlarge), got ${show(instanceType)}`,
    );
  }
  const maxInstances = options.maxInstances ?? 2;
  checkWholeNumber('gpuCapacity.maxInstances', maxInstances, 1);
  return { instanceType, maxInstances };
}

function checkLifecycle(lifecycle: OutputLifecycleOptions): void {
  const days = (key: keyof OutputLifecycleOptions): number | undefined => {
    const value = lifecycle[key];
    if (value !== undefined) checkWholeNumber(`outputLifecycle.${key}`, value, 1);
    return value;
  };
  const expire = days('expireAfterDays');
  const ia = days('infrequentAccessAfterDays');
  const glacier = days('glacierAfterDays');
  days('abortIncompleteUploadsAfterDays');
  days('noncurrentVersionExpireAfterDays');
  if (ia !== undefined && ia < 30) {
    throw new UniversalEgressPropsError(
      `outputLifecycle.infrequentAccessAfterDays must be at least 30 (S3), got ${ia}`,
    );
  }
  if (ia !== undefined && glacier !== undefined && glacier <= ia) {
    throw new UniversalEgressPropsError(
      `outputLifecycle.glacierAfterDays must be later than infrequentAccessAfterDays (${ia}), got ${glacier}`,
    );
  }
  const lastTransition = Math.max(ia ?? 0, glacier ?? 0);
  if (expire !== undefined && expire <= lastTransition) {
    throw new UniversalEgressPropsError(
      `outputLifecycle.expireAfterDays must be later than the last transition (day ${lastTransition}), got ${expire}`,
    );
  }
}

function checkUrl(name: string, value: string, protocols: readonly string[]): void {
  if (Token.isUnresolved(value)) return; // a deploy-time value (parameter, import): checked by its consumer
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url === undefined || !protocols.includes(url.protocol) || url.hostname === '') {
    throw new UniversalEgressPropsError(
      `${name} must be a ${protocols.map((p) => `${p}//`).join(', ')} URL with a host, got ${show(value)}`,
    );
  }
}

function checkApiKey(value: string): void {
  if (Token.isUnresolved(value)) return;
  if (value.trim() === '' || /\s/.test(value)) {
    throw new UniversalEgressPropsError(`livekitApiKey must be a non-empty key without spaces, got ${show(value)}`);
  }
}

function checkWholeNumber(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `between ${min} and ${max}`;
    throw new UniversalEgressPropsError(`${name} must be a whole number ${range}, got ${show(value)}`);
  }
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}
