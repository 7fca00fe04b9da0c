import { intEnv, listEnv, optionalEnv, requireEnv } from '#shared/env.ts';

/** Settings every Lambda reads (set by the CDK construct; see infra/). */
export interface CommonEnv {
  readonly table: string;
  readonly livekitUrl: string;
  readonly apiKey: string;
  readonly secretArn: string;
}

export function commonEnv(env: NodeJS.ProcessEnv = process.env): CommonEnv {
  return {
    table: requireEnv(env, 'EGRESS_TABLE'),
    livekitUrl: requireEnv(env, 'LIVEKIT_URL'),
    apiKey: requireEnv(env, 'LIVEKIT_API_KEY'),
    secretArn: requireEnv(env, 'LIVEKIT_SECRET_ARN'),
  };
}

/** The dispatcher's ECS settings. */
export function launcherEnv(env: NodeJS.ProcessEnv = process.env) {
  const assign = optionalEnv(env, 'EGRESS_ASSIGN_PUBLIC_IP', 'ENABLED');
  return {
    cluster: requireEnv(env, 'EGRESS_CLUSTER'),
    subnets: listEnv(env, 'EGRESS_SUBNETS'),
    securityGroups: listEnv(env, 'EGRESS_SECURITY_GROUPS'),
    assignPublicIp: assign === 'DISABLED' ? ('DISABLED' as const) : ('ENABLED' as const),
    recorderTaskDefinition: requireEnv(env, 'RECORDER_TASK_DEFINITION'),
    forwarderTaskDefinition: requireEnv(env, 'FORWARDER_TASK_DEFINITION'),
    gpuCapacityProvider: optionalEnv(env, 'EGRESS_GPU_CAPACITY_PROVIDER', ''),
    spot: optionalEnv(env, 'EGRESS_SPOT', 'false') === 'true',
    maxReceives: intEnv(env, 'EGRESS_MAX_RECEIVES', 5, 1, 1000),
  };
}
