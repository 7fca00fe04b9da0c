// Builds the runnable bundles with esbuild: the task entrypoint (what ECS and the local launcher run),
// the local-mode server, one bundle per Lambda handler, and the built-in room composite templates (a browser
// page). Native and large runtime packages stay external.
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const external = ['@livekit/rtc-node', '@livekit/rtc-ffi-bindings', 'puppeteer-core', 'werift'];

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  external,
  logLevel: 'warning',
  outExtension: { '.js': '.mjs' },
  // Bundled CommonJS dependencies call require(); give ESM bundles one.
  banner: {
    js: "import { createRequire as __ueCreateRequire } from 'node:module'; const require = __ueCreateRequire(import.meta.url);",
  },
};

// Chunk names change with their content: start clean so no stale chunk is shipped.
rmSync('dist/task', { recursive: true, force: true });

// The task: split into chunks, so each pipeline (and the AWS SDK) is loaded only by the tasks that use it.
await build({
  ...common,
  entryPoints: { main: 'task-image/runtime/main.ts', 'self-check': 'task-image/runtime/self-check/main.ts' },
  outdir: 'dist/task',
  splitting: true,
  chunkNames: '[name]-[hash]',
});

const entries = [
  { in: 'functions/local/main.ts', out: 'dist/local/main' },
  { in: 'functions/handlers/api.ts', out: 'dist/lambda/api/index' },
  { in: 'functions/handlers/dispatcher.ts', out: 'dist/lambda/dispatcher/index' },
  { in: 'functions/handlers/reconciler.ts', out: 'dist/lambda/reconciler/index' },
  { in: 'functions/handlers/notifier.ts', out: 'dist/lambda/notifier/index' },
];

await build({
  ...common,
  entryPoints: entries,
  outdir: '.',
});

// The room composite templates: one page for every layout (the layout comes from the query string), its
// script and its style, loaded by Chromium from the task's template server. Only the recorder image copies
// their source in; the forwarder image's build skips them.
const templatesDir = 'task-image/templates';
rmSync('dist/templates', { recursive: true, force: true });
if (existsSync(`${templatesDir}/src/main.ts`)) {
  await build({
    entryPoints: { template: `${templatesDir}/src/main.ts`, 'template-style': `${templatesDir}/src/style.css` },
    outdir: 'dist/templates',
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'chrome110',
    minify: true,
    legalComments: 'eof',
    logLevel: 'warning',
    // @livekit/egress-sdk is CommonJS and require()s livekit-client, which would pull in its UMD build beside
    // the ES build the page imports: one copy of the SDK instead of two.
    alias: { 'livekit-client': './node_modules/livekit-client/dist/livekit-client.esm.mjs' },
  });
  copyFileSync(`${templatesDir}/index.html`, 'dist/templates/index.html');
}
