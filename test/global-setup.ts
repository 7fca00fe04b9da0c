import { execFileSync } from 'node:child_process';

/** Builds the bundles the tests run (the task entrypoint the local launcher starts), once per test run. */
export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
}
