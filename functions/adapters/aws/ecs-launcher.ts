import {
  ECSClient,
  RunTaskCommand,
  StopTaskCommand,
  type CapacityProviderStrategyItem,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';
import { describeError } from '#domain/errors.ts';
import { LaunchError } from '#ports/launch-error.ts';
import type { LaunchRequest, TaskLauncher } from '#ports/task-launcher.ts';
import type { Logger } from '#shared/logger.ts';

/** Where and how tasks run; read once from the dispatcher's environment. */
export interface EcsLauncherConfig {
  readonly cluster: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly assignPublicIp: 'ENABLED' | 'DISABLED';
  readonly recorderTaskDefinition: string;
  readonly forwarderTaskDefinition: string;
  /** Capacity provider of the EC2 GPU instances; empty when the deployment has none. */
  readonly gpuCapacityProvider: string;
  /** Run on FARGATE_SPOT where the sizing table says FARGATE. */
  readonly spot: boolean;
}

/** The container name both task definitions use. */
export const containerName = 'egress';

const retryableErrors = new Set([
  'ThrottlingException',
  'ServerException',
  'ServiceUnavailableException',
  'LimitExceededException',
  'TooManyRequestsException',
]);

/** RunTask failure reasons that pass with time: no capacity now, agent or AZ busy. */
const retryableReason = /capacity|RESOURCE:|throttl|rate exceeded|AGENT|unavailable|try again/i;

/**
 * {@link TaskLauncher} on ECS: one RunTask per egress with an idempotency `clientToken`, overrides carrying
 * only `EGRESS_ID` (plus the size from the sizing table), subnets across AZs. A RunTask answer with
 * `failures[]` is a failure; throttling and capacity errors are retryable.
 */
export class EcsTaskLauncher implements TaskLauncher {
  constructor(
    private readonly config: EcsLauncherConfig,
    private readonly logger: Logger,
    private readonly client: ECSClient = new ECSClient({}),
  ) {}

  async launch(request: LaunchRequest): Promise<{ taskId: string }> {
    let res;
    try {
      res = await this.client.send(new RunTaskCommand(this.input(request)));
    } catch (err) {
      const name = err instanceof Error ? err.name : '';
      throw new LaunchError(`RunTask failed: ${name} ${describeError(err)}`.trim(), retryableErrors.has(name), {
        cause: err,
      });
    }
    const failure = res.failures?.[0];
    const task = res.tasks?.[0];
    if (failure !== undefined || task?.taskArn === undefined) {
      const reason =
        failure === undefined ? 'no task in the answer' : `${failure.reason ?? ''} ${failure.detail ?? ''}`.trim();
      throw new LaunchError(`RunTask failed: ${reason}`, retryableReason.test(reason));
    }
    return { taskId: task.taskArn };
  }

  async stop(taskId: string, reason: string): Promise<void> {
    try {
      await this.client.send(
        new StopTaskCommand({ cluster: this.config.cluster, task: taskId, reason: reason.slice(0, 255) }),
      );
    } catch (err) {
      this.logger.warn('StopTask failed', { taskId, error: describeError(err) });
    }
  }

  private input(request: LaunchRequest): RunTaskCommandInput {
    const gpu = request.size.capacity === 'EC2_GPU' && this.config.gpuCapacityProvider !== '';
    const provider = gpu
      ? this.config.gpuCapacityProvider
      : this.config.spot || request.size.capacity === 'FARGATE_SPOT'
        ? 'FARGATE_SPOT'
        : 'FARGATE';
    // On-demand Fargate is asked for as a launch type; Spot and the GPU instances need a capacity provider.
    const placement: Pick<RunTaskCommandInput, 'launchType' | 'capacityProviderStrategy'> =
      provider === 'FARGATE'
        ? { launchType: 'FARGATE' }
        : {
            capacityProviderStrategy: [
              { capacityProvider: provider, weight: 1 } satisfies CapacityProviderStrategyItem,
            ],
          };
    return {
      cluster: this.config.cluster,
      taskDefinition:
        request.image === 'recorder' ? this.config.recorderTaskDefinition : this.config.forwarderTaskDefinition,
      count: 1,
      clientToken: request.clientToken.slice(0, 64),
      ...placement,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: [...this.config.subnets],
          securityGroups: [...this.config.securityGroups],
          assignPublicIp: gpu ? 'DISABLED' : this.config.assignPublicIp,
        },
      },
      overrides: {
        cpu: String(request.size.cpu),
        memory: String(request.size.memoryMiB),
        containerOverrides: [
          {
            name: containerName,
            environment: [{ name: 'EGRESS_ID', value: request.egressId }],
            ...(gpu ? { resourceRequirements: [{ type: 'GPU', value: '1' }] } : {}),
          },
        ],
      },
      startedBy: request.egressId.slice(0, 36),
      enableExecuteCommand: false,
    };
  }
}
