import { Duration } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { FunctionName } from './functions.ts';
import type { Queues } from './messaging.ts';

/**
 * The HTTP API in front of the API function: `POST /twirp/{proxy+}`, payload format 2.0, on the `$default`
 * stage with access logs and a rate limit.
 */
export function createHttpApi(
  scope: Construct,
  api: lambda.IFunction,
  options: { readonly rateLimit: number; readonly logRetention: logs.RetentionDays },
): apigwv2.HttpApi {
  const httpApi = new apigwv2.HttpApi(scope, 'HttpApi', {
    description: 'Universal egress: livekit.Egress Twirp service',
    createDefaultStage: false,
  });
  httpApi.addRoutes({
    path: '/twirp/{proxy+}',
    methods: [apigwv2.HttpMethod.POST],
    integration: new HttpLambdaIntegration('TwirpIntegration', api, {
      payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
    }),
  });
  const accessLogs = new logs.LogGroup(scope, 'ApiAccessLogs', { retention: options.logRetention });
  httpApi.addStage('DefaultStage', {
    stageName: '$default',
    autoDeploy: true,
    throttle: { rateLimit: options.rateLimit, burstLimit: options.rateLimit * 2 },
    accessLogSettings: {
      destination: new apigwv2.LogGroupLogDestination(accessLogs),
      format: AccessLogFormat.custom(
        JSON.stringify({
          requestId: '$context.requestId',
          ip: '$context.identity.sourceIp',
          time: '$context.requestTimeEpoch',
          method: '$context.httpMethod',
          path: '$context.path',
          status: '$context.status',
          latencyMs: '$context.responseLatency',
          integrationError: '$context.integrationErrorMessage',
        }),
      ),
    },
  });
  return httpApi;
}

/** The event sources and rules that start the dispatcher, notifier and reconciler. */
export function connectTriggers(
  scope: Construct,
  inputs: {
    readonly functions: Record<FunctionName, lambda.Function>;
    readonly queues: Queues;
    readonly table: dynamodb.ITable;
    readonly cluster: ecs.ICluster;
  },
): void {
  const { functions, queues } = inputs;
  // Failed messages come back after their visibility timeout (the dispatcher may shorten it for backoff)
  // and go to the DLQ after MAX_RECEIVES receives.
  functions.dispatcher.addEventSource(
    new sources.SqsEventSource(queues.jobs, { batchSize: 10, reportBatchItemFailures: true }),
  );
  functions.notifier.addEventSource(
    new sources.DynamoEventSource(inputs.table, {
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: 10,
      retryAttempts: 10,
      bisectBatchOnError: true,
      reportBatchItemFailures: true,
      maxRecordAge: Duration.hours(6),
      onFailure: new sources.SqsDlq(queues.notifierFailures),
    }),
  );
  const reconcilerTarget = new targets.LambdaFunction(functions.reconciler, {
    deadLetterQueue: queues.reconcilerDlq,
    retryAttempts: 8,
    maxEventAge: Duration.hours(2),
  });
  // ECS sends task state changes to the account's default bus.
  new events.Rule(scope, 'TaskStoppedRule', {
    description: 'Universal egress: a task of this cluster stopped',
    eventPattern: {
      source: ['aws.ecs'],
      detailType: ['ECS Task State Change'],
      detail: { clusterArn: [inputs.cluster.clusterArn], lastStatus: ['STOPPED'] },
    },
    targets: [reconcilerTarget],
  });
  new events.Rule(scope, 'SweepSchedule', {
    description: 'Universal egress: sweep for lost dispatches and dead tasks',
    schedule: events.Schedule.rate(Duration.minutes(1)),
    targets: [reconcilerTarget],
  });
}
