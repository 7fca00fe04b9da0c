// Runs one egress task inside a task image instead of as a child node process: the local system's
// launcher starts `node <entry>` with the task's environment, and a generated entry calls this with the
// podman options (see scripts/images/forwarder-smoke.ts). The task environment is passed by name (`-e NAME`),
// so the LiveKit secret never appears on a command line; SIGTERM/SIGINT go on to podman, which hands them to
// the container's PID 1 (tini → node) — the same path a StopTask takes on ECS. When podman ends, a JSON
// report `<reportDir>/<EGRESS_ID>.json` records the container's exit.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Host variables the launcher adds for its own child; the container has its own. */
const hostOnly = new Set(['PATH', 'HOME']);

/**
 * @param {{ podmanArgs: string[], image: string, reportDir: string }} settings
 *   podmanArgs: global options, `run` and its options (network, limits, mounts, labels); the container name,
 *   the environment and the image are added here.
 */
export async function runTaskInPodman(settings) {
  const egressId = process.env['EGRESS_ID'] ?? 'unknown';
  const names = Object.keys(process.env).filter((name) => !hostOnly.has(name));
  const args = [
    ...settings.podmanArgs,
    '--name',
    `ue-task-${egressId}-${process.pid}`,
    ...names.flatMap((name) => ['-e', name]),
    settings.image,
  ];
  const startedAt = Date.now();
  const child = spawn('podman', args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const forward = (signal) => child.kill(signal);
  process.on('SIGTERM', forward).on('SIGINT', forward);
  const [code, signal] = await once(child, 'exit');
  const report = { egressId, code, signal, startedAt, endedAt: Date.now() };
  await writeFile(join(settings.reportDir, `${egressId}.json`), JSON.stringify(report));
  process.exit(typeof code === 'number' ? code : 1);
}
