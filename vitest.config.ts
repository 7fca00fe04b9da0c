import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['functions/**/*.test.ts', 'task-image/**/*.test.ts', 'infra/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/cdk.out/**'],
    globalSetup: ['test/global-setup.ts'],
    // Quiet logs by default; LOG_LEVEL=info (or debug) shows every component's progress.
    env: { LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
