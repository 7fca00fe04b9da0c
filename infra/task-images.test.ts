import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_IMAGE_EXCLUDES, imageContextExcludes, taskImageFromSource } from './task-definitions.ts';
import { removeTempDirs, tempDir, writeFiles } from './test-support.ts';
import { UniversalEgressPropsError } from './validate-props.ts';

afterAll(removeTempDirs);

/** A build context shaped like the repository, with files the images need and files they must not get. */
function fakeRepository(ignoreFile: string | undefined): string {
  const dir = tempDir('image-context');
  writeFiles(dir, {
    'package.json': '{}',
    'task-image/recorder.Dockerfile': 'FROM scratch\n',
    'task-image/forwarder.Dockerfile': 'FROM scratch\n',
    'task-image/runtime/main.ts': 'export {};\n',
    'functions/domain/status.ts': 'export {};\n',
    'node_modules/big/index.js': 'x',
    'dist/lambda/api/index.mjs': 'x',
    'infra/app.ts': 'x',
    '.data/store/record.json': '{}',
    ...(ignoreFile === undefined ? {} : { 'task-image/.dockerignore': ignoreFile }),
  });
  return dir;
}

/** Synthesizes one task definition per image kind; returns the staged build contexts, by Dockerfile. */
function stage(contextDir: string): Map<string, string> {
  const outdir = tempDir('image-out');
  const app = new App({ outdir });
  const stack = new Stack(app, 'Images');
  for (const kind of ['recorder', 'forwarder'] as const) {
    const definition = new ecs.FargateTaskDefinition(stack, kind);
    definition.addContainer('egress', { image: taskImageFromSource(contextDir, kind) });
  }
  app.synth();
  const manifest = JSON.parse(readFileSync(join(outdir, 'Images.assets.json'), 'utf8')) as {
    dockerImages: Record<string, { source: { directory: string; dockerFile: string } }>;
  };
  return new Map(
    Object.values(manifest.dockerImages).map((image) => [
      image.source.dockerFile,
      join(outdir, image.source.directory),
    ]),
  );
}

describe('task images from source', () => {
  it('stages only what the ignore file allows, plus the Dockerfile, with no Docker engine', () => {
    const staged = stage(
      fakeRepository('# allow-list\n**\n!package.json\n!functions/**\n!task-image/runtime/**\n**/node_modules\n'),
    );
    expect([...staged.keys()].sort()).toEqual(['task-image/forwarder.Dockerfile', 'task-image/recorder.Dockerfile']);
    for (const [dockerfile, dir] of staged) {
      expect(existsSync(join(dir, dockerfile)), dockerfile).toBe(true);
      expect(existsSync(join(dir, 'package.json'))).toBe(true);
      expect(existsSync(join(dir, 'task-image/runtime/main.ts'))).toBe(true);
      expect(existsSync(join(dir, 'functions/domain/status.ts'))).toBe(true);
      for (const absent of ['node_modules', 'dist', 'infra', '.data'])
        expect(existsSync(join(dir, absent)), absent).toBe(false);
    }
  });

  it('falls back to excluding dependencies, builds and data when there is no ignore file', () => {
    const dir = fakeRepository(undefined);
    expect(imageContextExcludes(dir)).toEqual([...DEFAULT_IMAGE_EXCLUDES]);
    const staged = stage(dir).get('task-image/recorder.Dockerfile') ?? '';
    expect(existsSync(join(staged, 'task-image/recorder.Dockerfile'))).toBe(true);
    expect(existsSync(join(staged, 'infra/app.ts'))).toBe(true);
    for (const absent of ['node_modules', 'dist', '.data'])
      expect(existsSync(join(staged, absent)), absent).toBe(false);
  });

  it('rejects a missing Dockerfile, naming it and the alternative', () => {
    const dir = tempDir('no-dockerfile');
    expect(() => taskImageFromSource(dir, 'forwarder')).toThrow(UniversalEgressPropsError);
    expect(() => taskImageFromSource(dir, 'forwarder')).toThrow(/task-image\/forwarder\.Dockerfile.*pass taskImages/);
  });
});
