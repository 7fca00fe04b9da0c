import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './paths.ts';
import type { UniversalEgressProps } from './props.ts';
import { UniversalEgressStack } from './stack.ts';
import { taskImageFromSource } from './task-definitions.ts';
import {
  baseProps,
  cdkJsonContext,
  placeholderLambdaDir,
  removeTempDirs,
  tempDir,
  writeFiles,
} from './test-support.ts';

let lambdaDir: string;
beforeAll(() => {
  lambdaDir = placeholderLambdaDir();
});
afterAll(removeTempDirs);

const hasCfnLint = spawnSync('cfn-lint', ['--version']).status === 0;

interface CfnLintFinding {
  readonly Rule: { readonly Id: string };
  readonly Message: string;
}

/**
 * cfn-lint's findings on a template. W3005 ("dependency already enforced by GetAtt") is left out: CDK's
 * Lambda construct adds an explicit DependsOn on the role it also references; the redundancy is harmless.
 */
function cfnLint(templatePath: string): CfnLintFinding[] {
  const run = spawnSync('cfn-lint', ['--format', 'json', '--', templatePath], { encoding: 'utf8' });
  const findings = JSON.parse(run.stdout === '' ? '[]' : run.stdout) as CfnLintFinding[];
  return findings.filter((finding) => finding.Rule.Id !== 'W3005');
}

/** Every AwsSolutions violation (errors and warnings) left after the acknowledgements. */
function nagViolations(app: IConstruct): string[] {
  return new AwsSolutionsChecks()
    .validateScope(app)
    .violations.map(
      (v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
}

/** Synthesizes a stack with `overrides`, images built from source in a scratch context (no Docker needed). */
function synthWithAssetImages(
  overrides: Partial<UniversalEgressProps>,
  withFlags = true,
): { app: App; template: string } {
  const context = tempDir('image-context');
  writeFiles(context, {
    'task-image/recorder.Dockerfile': 'FROM scratch\n',
    'task-image/forwarder.Dockerfile': 'FROM scratch\n',
  });
  const outdir = tempDir('cdk-out');
  const app = new App({ outdir, ...(withFlags ? { context: cdkJsonContext() } : {}) });
  new UniversalEgressStack(app, 'Test', {
    egress: {
      ...baseProps(lambdaDir),
      taskImages: {
        recorder: taskImageFromSource(context, 'recorder'),
        forwarder: taskImageFromSource(context, 'forwarder'),
      },
      ...overrides,
    },
  });
  app.synth();
  return { app, template: join(outdir, 'Test.template.json') };
}

const variants: [string, Partial<UniversalEgressProps>, boolean][] = [
  ['defaults', {}, true],
  ['GPU capacity in private subnets', { taskSubnets: 'private', gpuCapacity: {} }, true],
  ['an app without feature flags', {}, false],
];

describe('compliance', () => {
  it.each(variants)('cdk-nag AwsSolutions: nothing unacknowledged with %s', (_name, overrides, withFlags) => {
    const { app } = synthWithAssetImages(overrides, withFlags);
    expect(nagViolations(app)).toEqual([]);
  });

  it('cdk-nag does report a non-compliant resource (the check is live)', () => {
    const app = new App();
    new sqs.Queue(new Stack(app, 'Bad'), 'PlainQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(nagViolations(app)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^error AwsSolutions-SQS3/),
        expect.stringMatching(/AwsSolutions-SQS4/),
      ]),
    );
  });

  it('gives every acknowledgement a reason', () => {
    const { app } = synthWithAssetImages({ taskSubnets: 'private', gpuCapacity: {} });
    const acknowledged = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      // CDK acknowledges some of its own CloudFormation-Validate rules; ours are the AwsSolutions ones.
      .filter(([rule]) => rule.includes('AwsSolutions-'));
    expect(acknowledged.length).toBeGreaterThan(10);
    for (const [rule, reason] of acknowledged) expect(reason.length, rule).toBeGreaterThan(40);
  });

  // Skipped only where cfn-lint is truly absent; scripts/setup.sh installs it, so the suite and CI run it.
  describe.skipIf(!hasCfnLint)('cfn-lint and the cdk CLI', () => {
    it.each(variants)('passes the template with %s', (_name, overrides, withFlags) => {
      const { template } = synthWithAssetImages(overrides, withFlags);
      expect(cfnLint(template)).toEqual([]);
    });

    it('`cdk synth` of the app runs offline, passes its cdk-nag plugin and cfn-lint', () => {
      const outdir = tempDir('cli-out');
      const started = performance.now();
      const args = ['synth', '--quiet', '--no-notices', '--no-version-reporting', '-o', outdir];
      for (const [key, value] of Object.entries({
        livekitUrl: 'wss://livekit.example.com',
        livekitApiKey: 'APIkey',
        webhookUrls: 'https://hooks.example.com/a',
        lambdaAssetDir: lambdaDir,
      })) {
        args.push('-c', `${key}=${value}`);
      }
      execFileSync(join(REPO_ROOT, 'node_modules/.bin/cdk'), args, { cwd: REPO_ROOT, stdio: 'pipe' });
      const seconds = (performance.now() - started) / 1000;
      console.log(`cdk synth (CLI, tsx, cdk-nag plugin, image contexts staged): ${seconds.toFixed(1)} s`);
      const template = join(outdir, 'UniversalEgress.template.json');
      expect(existsSync(template)).toBe(true);
      expect(cfnLint(template)).toEqual([]);
      const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: unknown[];
      };
      expect(report.pluginReports).toEqual([]);
    });

    it('`cdk synth` fails with a clear message when context is missing', () => {
      const run = spawnSync(
        join(REPO_ROOT, 'node_modules/.bin/cdk'),
        ['synth', '--quiet', '--no-notices', '--no-version-reporting', '-o', tempDir('cli-out')],
        { cwd: REPO_ROOT, encoding: 'utf8' },
      );
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('Missing context value "livekitUrl"');
    });
  });
});
