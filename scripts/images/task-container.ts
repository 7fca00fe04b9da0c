/**
 * What the smoke runs that put a real egress task inside a task image share: the local launcher's task entry
 * that hands the task to podman (task-in-podman.mjs) at the image's Fargate size, the report podman's exit
 * leaves behind, and the lookup of the running container by its label.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Logger } from '#shared/logger.ts';
import { fargateSizes, podman, podmanGlobal, runLimits, type ImageKind } from './podman.ts';

/** Where and how the task container runs. */
export interface TaskEntryOptions {
  /** Folder for the generated entry and the container's exit report. */
  readonly base: string;
  readonly image: string;
  /** Which Fargate size the container gets (from the sizing table). */
  readonly kind: ImageKind;
  /** Another size of the sizing table than the kind's (the recorder running a track composite). */
  readonly size?: { readonly cpus: string; readonly memory: string };
  /** `key=value` label every container of the run carries, so it can be found and removed. */
  readonly label: string;
  /** Host folders mounted at the same paths (the local store and output folders). */
  readonly mounts: readonly string[];
}

/**
 * Writes the launcher's task entry: a script `node` runs that starts the task with `podman run --network
 * host` (the LiveKit server and the local system are on the host's 127.0.0.1) at the image's Fargate size.
 * `:U` gives the mounted folders to the image's non-root user, as a volume owned by the task would be.
 * Returns the entry's path.
 */
export async function writeTaskEntry(options: TaskEntryOptions): Promise<string> {
  const { cpus, memory } = options.size ?? fargateSizes[options.kind];
  const podmanArgs = [
    ...podmanGlobal,
    ...['run', '--rm', '--label', options.label, '--network', 'host', '--cpus', cpus, '--memory', memory],
    ...runLimits,
    ...options.mounts.flatMap((dir) => ['-v', `${dir}:${dir}:U`]),
  ];
  const settings = { podmanArgs, image: options.image, reportDir: options.base };
  const wrapper = resolve('scripts/images/task-in-podman.mjs');
  const entry = join(options.base, 'task-in-podman-entry.mjs');
  await writeFile(
    entry,
    `import { runTaskInPodman } from ${JSON.stringify(wrapper)};\nawait runTaskInPodman(${JSON.stringify(settings)});\n`,
  );
  return entry;
}

/** Ids of the running containers that carry `label`; fails when there is none. */
export async function containerIds(label: string, logger: Logger): Promise<string[]> {
  const { stdout } = await podman(['ps', '-q', '--filter', `label=${label}`], { logger, timeoutMs: 30_000 });
  const ids = stdout.split('\n').filter((id) => id.trim() !== '');
  if (ids.length === 0) throw new Error(`no running container carries ${label}`);
  return ids;
}

/** How the task's container ended, as task-in-podman.mjs records it. */
export interface ContainerReport {
  /** podman's exit code (the container's), null when podman was killed by a signal. */
  readonly code: number | null;
  readonly startedAt: number;
  readonly endedAt: number;
}

/**
 * The wrapper's report `<base>/<egressId>.json`, once podman has exited (the task may still be finishing
 * when COMPLETE is written); undefined if none appears within `timeoutMs`.
 */
export async function waitForReport(
  base: string,
  egressId: string,
  timeoutMs: number,
): Promise<ContainerReport | undefined> {
  const file = join(base, `${egressId}.json`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) return JSON.parse(text) as ContainerReport;
    await new Promise((r) => setTimeout(r, 100));
  }
  return undefined;
}
