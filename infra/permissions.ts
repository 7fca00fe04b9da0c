import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { FunctionName } from './functions.ts';
import type { TaskDefinitions } from './task-definitions.ts';

/** The resources the Lambdas act on. */
export interface PermissionInputs {
  readonly functions: Record<FunctionName, lambda.Function>;
  readonly table: dynamodb.ITable;
  readonly jobs: sqs.IQueue;
  readonly secret: secretsmanager.ISecret;
  readonly cluster: ecs.Cluster;
  readonly tasks: TaskDefinitions;
  readonly eventBus: events.IEventBus;
}

/**
 * Least privilege, through `grant*` only:
 * - api: table read/write, send jobs, stop this cluster's tasks (StopEgress fallback);
 * - dispatcher: table read/write, RunTask of the two task definitions in this cluster only, PassRole of
 *   their task and execution roles (the jobs queue's consume rights come with its event source);
 * - reconciler: table read/write, send jobs (re-dispatch of lost ones), describe and stop this cluster's tasks;
 * - notifier: table read, put events on the egress bus (stream read comes with its event source);
 * - all: read the LiveKit API secret (callers' tokens are verified, webhooks signed, rooms joined with it).
 */
export function grantPermissions(inputs: PermissionInputs): void {
  const { api, dispatcher, reconciler, notifier } = inputs.functions;
  for (const fn of [api, dispatcher, reconciler, notifier]) inputs.secret.grantRead(fn);

  inputs.table.grantReadWriteData(api);
  inputs.jobs.grantSendMessages(api);
  grantOnClusterTasks(api, inputs.cluster, ['ecs:StopTask']);

  inputs.table.grantReadWriteData(dispatcher);
  iam.Grant.addToPrincipal({
    grantee: dispatcher,
    actions: ['ecs:RunTask'],
    resourceArns: [inputs.tasks.recorder.taskDefinitionArn, inputs.tasks.forwarder.taskDefinitionArn],
    conditions: { ArnEquals: { 'ecs:cluster': inputs.cluster.clusterArn } },
  });
  inputs.tasks.taskRole.grantPassRole(dispatcher.grantPrincipal);
  inputs.tasks.executionRole.grantPassRole(dispatcher.grantPrincipal);

  inputs.table.grantReadWriteData(reconciler);
  inputs.jobs.grantSendMessages(reconciler);
  grantOnClusterTasks(reconciler, inputs.cluster, ['ecs:DescribeTasks', 'ecs:StopTask']);

  inputs.table.grantReadData(notifier);
  inputs.eventBus.grantPutEventsTo(notifier);
}

function grantOnClusterTasks(grantee: iam.IGrantable, cluster: ecs.Cluster, actions: string[]): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [cluster.arnForTasks('*')] });
}
