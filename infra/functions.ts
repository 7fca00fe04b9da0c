import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { DISPATCHER_TIMEOUT } from './messaging.ts';
import { REPO_ROOT } from './paths.ts';
import { UniversalEgressPropsError } from './validate-props.ts';

/** The four Lambda functions, by the name of their bundle folder. */
export type FunctionName = 'api' | 'dispatcher' | 'reconciler' | 'notifier';

/** Every function, in a fixed order. */
export const FUNCTION_NAMES: readonly FunctionName[] = ['api', 'dispatcher', 'reconciler', 'notifier'];

/** Default folder of the bundles written by `node scripts/build.mjs`. */
export const DEFAULT_LAMBDA_ASSET_DIR = join(REPO_ROOT, 'dist', 'lambda');

/** Construct id, timeout and memory of each function. */
const SETTINGS: Record<FunctionName, { id: string; timeout: Duration; memorySize: number; description: string }> = {
  api: {
    id: 'ApiFunction',
    // The HTTP API gives up after 30 s; the Twirp calls are single table/queue operations.
    timeout: Duration.seconds(20),
    memorySize: 512,
    description: 'Universal egress: livekit.Egress Twirp API',
  },
  dispatcher: {
    id: 'DispatcherFunction',
    timeout: DISPATCHER_TIMEOUT,
    memorySize: 256,
    description: 'Universal egress: jobs queue → ECS RunTask',
  },
  reconciler: {
    id: 'ReconcilerFunction',
    timeout: Duration.seconds(60),
    memorySize: 256,
    description: 'Universal egress: stopped tasks and lost dispatches → terminal records',
  },
  notifier: {
    id: 'NotifierFunction',
    timeout: Duration.seconds(60),
    memorySize: 256,
    description: 'Universal egress: table stream → webhooks and EventBridge events',
  },
};

/** Construct id of a function (a contract: renaming replaces the function). */
export function functionId(name: FunctionName): string {
  return SETTINGS[name].id;
}

/**
 * Fails synth unless every bundle `<dir>/<name>/index.mjs` exists, naming the first missing one and the
 * command that writes them.
 */
export function checkLambdaBundles(dir: string): void {
  for (const name of FUNCTION_NAMES) {
    const file = join(dir, name, 'index.mjs');
    if (!existsSync(file)) {
      throw new UniversalEgressPropsError(
        `Lambda bundle ${file} does not exist: run \`node scripts/build.mjs\` first (or set lambdaAssetDir)`,
      );
    }
  }
}

/**
 * One function per bundle: Node.js 22 on arm64, ESM handler `index.handler`, its own log group and role, the
 * shared environment plus `extraEnvironment[name]`.
 */
export function createFunctions(
  scope: Construct,
  options: {
    readonly assetDir: string;
    readonly environment: Record<string, string>;
    readonly extraEnvironment: Record<FunctionName, Record<string, string>>;
    readonly logRetention: logs.RetentionDays;
  },
): Record<FunctionName, lambda.Function> {
  const dir = resolve(options.assetDir);
  checkLambdaBundles(dir);
  const create = (name: FunctionName): lambda.Function => {
    const settings = SETTINGS[name];
    const logGroup = new logs.LogGroup(scope, `${settings.id}Logs`, { retention: options.logRetention });
    // Its own role that may write only to its own log group (instead of the managed basic-execution policy,
    // which allows every log group in the account).
    const role = new iam.Role(scope, `${settings.id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    });
    logGroup.grantWrite(role);
    return new lambda.Function(scope, settings.id, {
      code: lambda.Code.fromAsset(join(dir, name)),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: settings.timeout,
      memorySize: settings.memorySize,
      description: settings.description,
      environment: { ...options.environment, ...options.extraEnvironment[name] },
      logGroup,
      role,
    });
  };
  return {
    api: create('api'),
    dispatcher: create('dispatcher'),
    reconciler: create('reconciler'),
    notifier: create('notifier'),
  };
}
