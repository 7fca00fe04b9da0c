// Builds the runnable bundles with esbuild: the task entrypoint (what ECS and the local launcher run),
// the local-mode server, and one bundle per Lambda handler. Native and large runtime packages stay external.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';

const external = ['@livekit/rtc-node', '@livekit/rtc-ffi-bindings', 'puppeteer-core', 'werift'];

const entries = [
  { in: 'task-image/runtime/main.ts', out: 'dist/task/main' },
  { in: 'functions/local/main.ts', out: 'dist/local/main' },
  { in: 'functions/handlers/api.ts', out: 'dist/lambda/api/index' },
  { in: 'functions/handlers/dispatcher.ts', out: 'dist/lambda/dispatcher/index' },
  { in: 'functions/handlers/reconciler.ts', out: 'dist/lambda/reconciler/index' },
  { in: 'functions/handlers/notifier.ts', out: 'dist/lambda/notifier/index' },
].filter((e) => existsSync(e.in));

await build({
  entryPoints: entries,
  outdir: '.',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  external,
  logLevel: 'warning',
  // Bundled CommonJS dependencies call require(); give ESM bundles one.
  banner: {
    js: "import { createRequire as __ueCreateRequire } from 'node:module'; const require = __ueCreateRequire(import.meta.url);",
  },
});
