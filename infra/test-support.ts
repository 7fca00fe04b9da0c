// Test fixtures for the infra tests: placeholder Lambda bundles and image contexts in temporary folders, the
// cdk.json feature flags, and a synthesized stack. Used by infra/*.test.ts only.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { FUNCTION_NAMES } from './functions.ts';
import { REPO_ROOT } from './paths.ts';
import type { TaskImages, UniversalEgressProps } from './props.ts';
import { UniversalEgressStack, type UniversalEgressStackProps } from './stack.ts';
import { UniversalEgress } from './universal-egress.ts';

const tempDirs: string[] = [];

/** A new temporary folder, removed by {@link removeTempDirs}. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `ue-infra-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

/** Removes every folder made by {@link tempDir} (call in `afterAll`). */
export function removeTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Writes `files` (path → content) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** A folder with a tiny `index.mjs` per function, standing in for `dist/lambda`. */
export function placeholderLambdaDir(): string {
  const dir = tempDir('lambda');
  for (const name of FUNCTION_NAMES) {
    writeFiles(dir, { [`${name}/index.mjs`]: `export const handler = async () => ({ placeholder: '${name}' });\n` });
  }
  return dir;
}

/** Images from a registry: no build context to stage. */
export function registryImages(): TaskImages {
  return {
    recorder: ecs.ContainerImage.fromRegistry('example.invalid/recorder:test'),
    forwarder: ecs.ContainerImage.fromRegistry('example.invalid/forwarder:test'),
  };
}

/** The feature flags of the root cdk.json, so tests synthesize what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context;
}

/** Props every test starts from. */
export function baseProps(lambdaAssetDir: string): UniversalEgressProps {
  return {
    livekitUrl: 'wss://livekit.example.com',
    livekitApiKey: 'APItestkey',
    webhookUrls: ['https://hooks.example.com/a', 'https://hooks.example.com/b'],
    lambdaAssetDir,
    taskImages: registryImages(),
  };
}

/** A synthesized stack (id `Test`, construct `Egress`) in a temporary cloud assembly. */
export function synthStack(
  egress: UniversalEgressProps,
  stackProps: Omit<UniversalEgressStackProps, 'egress'> = {},
): { readonly app: App; readonly stack: UniversalEgressStack; readonly template: Template } {
  const app = new App({ context: cdkJsonContext(), outdir: tempDir('cdk-out') });
  const stack = new UniversalEgressStack(app, 'Test', { ...stackProps, egress });
  return { app, stack, template: Template.fromStack(stack) };
}

/** A synthesized plain stack (id `Test`) holding a `UniversalEgress` (id `Egress`) whose props may import from it. */
export function synthConstruct(makeProps: (scope: Stack) => UniversalEgressProps): {
  readonly stack: Stack;
  readonly egress: UniversalEgress;
  readonly template: Template;
} {
  const app = new App({ context: cdkJsonContext(), outdir: tempDir('cdk-out') });
  const stack = new Stack(app, 'Test');
  const egress = new UniversalEgress(stack, 'Egress', makeProps(stack));
  return { stack, egress, template: Template.fromStack(stack) };
}

/** One resource of a synthesized template. */
export interface ResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** The resources of a template, by logical id. */
export function resourcesOf(template: Template): Record<string, ResourceJson> {
  return (template.toJSON() as { Resources: Record<string, ResourceJson> }).Resources;
}

/** The properties of the resource with this logical id (an empty object when it has none). */
export function propertiesOf(template: Template, logicalId: string): Record<string, unknown> {
  const resource = resourcesOf(template)[logicalId];
  if (resource === undefined) throw new Error(`no resource ${logicalId} in the template`);
  return resource.Properties ?? {};
}

/** Template references to a construct of `stack`: its logical id, `Fn::GetAtt` and `Ref`. */
export function references(stack: () => Stack): {
  id: (construct: IConstruct) => string;
  getAtt: (construct: IConstruct, attribute?: string) => unknown;
  ref: (construct: IConstruct) => unknown;
} {
  const id = (construct: IConstruct): string => stack().getLogicalId(construct.node.defaultChild as CfnElement);
  return {
    id,
    getAtt: (construct, attribute = 'Arn') => ({ 'Fn::GetAtt': [id(construct), attribute] }),
    ref: (construct) => ({ Ref: id(construct) }),
  };
}
