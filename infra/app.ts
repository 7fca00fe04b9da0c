// The CDK app (`cdk.json`: `npx tsx infra/app.ts`): one UniversalEgressStack configured from context, checked
// by cdk-nag's AwsSolutions pack at synth. Example:
//   npx cdk deploy -c livekitUrl=wss://my.livekit.cloud -c livekitApiKey=APIxxxx -c webhookUrls=https://app/hook
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ContextError, readAppConfig } from './context.ts';
import { UniversalEgressStack } from './stack.ts';
import { UniversalEgressPropsError } from './validate-props.ts';

const app = new App();
try {
  const config = readAppConfig((key) => app.node.tryGetContext(key));
  new UniversalEgressStack(app, config.stackName, {
    description: 'Universal egress: LiveKit-compatible egress on Lambda, SQS, ECS, DynamoDB and S3',
    // Environment-agnostic (synth needs no credentials) unless a VPC must be looked up.
    env:
      config.vpcId === undefined
        ? undefined
        : { account: process.env['CDK_DEFAULT_ACCOUNT'], region: process.env['CDK_DEFAULT_REGION'] },
    egress: config.egress,
    vpcId: config.vpcId,
    livekitSecretArn: config.livekitSecretArn,
    alarmTopicArn: config.alarmTopicArn,
  });
  if (config.nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
} catch (error) {
  // Configuration mistakes get their message alone; anything else keeps its stack trace.
  if (!(error instanceof ContextError || error instanceof UniversalEgressPropsError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exitCode = 1;
}
