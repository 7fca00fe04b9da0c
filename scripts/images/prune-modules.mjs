// Copies into <dest>/node_modules only what the bundled task loads at run time: the packages its bundles
// still import (esbuild's externals, found by reading the bundles, so this list cannot drift from
// scripts/build.mjs) and everything those depend on, at the exact versions package-lock.json installed.
// The rest is inside the bundles, so `npm ci --omit=dev` (aws-cdk-lib, the AWS SDK…) would only add weight.
//
//   node scripts/images/prune-modules.mjs <dest> <bundle.mjs>...
//
// Runs in the images' build stage, after `npm ci` and the build, from the repository root.
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const [dest, ...bundles] = process.argv.slice(2);
if (dest === undefined || bundles.length === 0) {
  console.error('usage: prune-modules.mjs <dest> <bundle.mjs>...');
  process.exit(64);
}

/** @typedef {{ dependencies?: Record<string, string>, optionalDependencies?: Record<string, string>, peerDependencies?: Record<string, string> }} LockEntry */
/** @type {{ packages: Record<string, LockEntry | undefined> }} */
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));

/** Package names a bundle imports or requires by bare specifier (not Node built-ins, not relative paths). */
function importedPackages(file) {
  const source = readFileSync(file, 'utf8');
  const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)["']([^"'\s]+)["']/g;
  const names = new Set();
  for (const [, spec = ''] of source.matchAll(specifier)) {
    if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) continue;
    const name = spec
      .split('/')
      .slice(0, spec.startsWith('@') ? 2 : 1)
      .join('/');
    if (!builtinModules.includes(name)) names.add(name);
  }
  return names;
}

/**
 * Where Node finds `name` when required from the package installed at `from` (a lockfile key such as
 * `node_modules/a/node_modules/b`; '' for the root): its own node_modules, then each enclosing one.
 */
function resolveKey(from, name) {
  let base = from;
  for (;;) {
    const key = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (lock.packages[key] !== undefined) return key;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut === -1 ? '' : base.slice(0, cut);
  }
}

const roots = new Set(bundles.flatMap((file) => [...importedPackages(file)]));
const keep = new Set();
const pending = [];
for (const name of roots) {
  const key = resolveKey('', name);
  // Bundled libraries probe for optional packages inside try/catch (the AWS SDK's require of
  // @aws-sdk/signature-v4-crt); what the lockfile does not install is not there on the host either.
  if (key === undefined) {
    console.error(`prune-modules: ${name} is required by the bundles but not installed: skipped`);
    roots.delete(name);
  } else pending.push(key);
}
/**
 * Packages of the Bare runtime, which Node never loads: tar-fs, tar-stream and events-universal (under
 * puppeteer-core) choose them only under the `bare` condition of their `imports`/`exports` maps and list
 * them as dependencies all the same (≈ 7 MB with their prebuilt addons).
 */
const bareRuntimeOnly = /(^|\/)node_modules\/bare-[^/]+$/;
while (pending.length > 0) {
  const key = /** @type {string} */ (pending.pop());
  // Optional packages for other platforms are in the lockfile but not on disk: nothing to copy.
  if (keep.has(key) || !existsSync(key) || bareRuntimeOnly.test(key)) continue;
  keep.add(key);
  const entry = lock.packages[key] ?? {};
  const names = Object.keys({ ...entry.dependencies, ...entry.optionalDependencies, ...entry.peerDependencies });
  for (const name of names) {
    const found = resolveKey(key, name);
    if (found !== undefined) pending.push(found);
  }
}

// Files Node never loads from node_modules: source maps, TypeScript sources and declarations, docs.
const notLoaded = /\.(map|ts|mts|cts|md|markdown)$/i;
// Parents before children, so a nested node_modules lands inside its already-copied parent.
for (const key of [...keep].sort()) {
  cpSync(key, join(dest, key), {
    recursive: true,
    // A nested node_modules is copied on its own, only where the closure needs it.
    filter: (src) => !/\/node_modules(\/|$)/.test(src.slice(key.length)) && !notLoaded.test(src),
  });
}
console.error(`prune-modules: ${keep.size} packages for ${[...roots].join(', ') || 'no external import'}`);
