import { defineConfig } from 'vitest/config';

// The image suite (buildah/podman builds, minutes of both cores) runs as its own step after the rest:
// `UE_SUITE=images vitest run`. Everything else runs one file at a time, because the media tests measure
// durations and timing against the wall clock on a 2-core machine.
const imagesOnly = process.env['UE_SUITE'] === 'images';

export default defineConfig({
  test: {
    include: imagesOnly
      ? ['test/images/**/*.test.ts']
      : ['functions/**/*.test.ts', 'task-image/**/*.test.ts', 'infra/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/cdk.out/**', ...(imagesOnly ? [] : ['test/images/**'])],
    globalSetup: ['test/global-setup.ts'],
    // Quiet logs by default; LOG_LEVEL=info (or debug) shows every component's progress.
    env: { LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' },
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 240_000,
  },
});
