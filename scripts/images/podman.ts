/**
 * What the image smoke runs share: the image names (as scripts/images/lib.sh tags them), the sizes the
 * sizing table picks, the podman options these hosts need (runc, cgroupfs, the 20000 open-files hard limit —
 * per command, so no system-wide config is changed), and small podman helpers that reap what they start.
 */
import {
  EncodedFileOutput,
  RoomCompositeEgressRequest,
  TrackCompositeEgressRequest,
  TrackEgressRequest,
} from '@livekit/protocol';
import type { EgressRequest } from '#domain/request/egress-request.ts';
import { resolvePlan } from '#domain/request/plan.ts';
import { taskFor } from '#domain/sizing.ts';
import type { Logger } from '#shared/logger.ts';
import { ManagedProcess, describeExit, type ProcessExit } from '#shared/managed-process.ts';

/** The two task images, as scripts/images/build.sh tags them. */
export type ImageKind = 'forwarder' | 'recorder';

const prefix = process.env['UE_IMAGE_PREFIX'] ?? 'localhost/universal-egress';

/** Image references, overridable like in lib.sh. */
export const images: Readonly<Record<ImageKind, string>> = {
  forwarder: process.env['UE_FORWARDER_IMAGE'] ?? `${prefix}/forwarder:dev`,
  recorder: process.env['UE_RECORDER_IMAGE'] ?? `${prefix}/recorder:dev`,
};

/**
 * The size each image runs at, as the one sizing table (functions/domain/sizing.ts) picks it for the egress
 * the smoke stands for: a track egress to a WebSocket (forwarder) and a room composite to an MP4 with the
 * default 720p30 preset (recorder). Fargate's vCPU units and MiB become podman's `--cpus` and `--memory`.
 */
export const fargateSizes: Readonly<Record<ImageKind, { readonly cpus: string; readonly memory: string }>> = {
  forwarder: podmanSize({
    case: 'track',
    value: new TrackEgressRequest({
      roomName: 'smoke',
      trackId: 'TR_smoke',
      output: { case: 'websocketUrl', value: 'ws://127.0.0.1/' },
    }),
  }),
  recorder: podmanSize({
    case: 'roomComposite',
    value: new RoomCompositeEgressRequest({
      roomName: 'smoke',
      fileOutputs: [new EncodedFileOutput({ filepath: 'smoke.mp4' })],
    }),
  }),
};

/** The recorder's size for a track composite ≤ 720p30 (no browser: the sizing table gives it less). */
export const trackCompositeSize: { readonly cpus: string; readonly memory: string } = podmanSize({
  case: 'trackComposite',
  value: new TrackCompositeEgressRequest({
    roomName: 'smoke',
    audioTrackId: 'TR_audio',
    videoTrackId: 'TR_video',
    fileOutputs: [new EncodedFileOutput({ filepath: 'smoke.mp4' })],
  }),
});

function podmanSize(request: EgressRequest): { cpus: string; memory: string } {
  const { size } = taskFor(resolvePlan(request));
  return { cpus: String(size.cpu / 1024), memory: `${size.memoryMiB}m` };
}

/** Global podman options: crun refuses the hosts' hybrid cgroups; runc with cgroupfs works. */
export const podmanGlobal: readonly string[] = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs'];

/** `podman run` options every smoke run uses: resource limits within the hosts' hard limits. */
export const runLimits: readonly string[] = ['--ulimit', 'nofile=20000:20000', '--ulimit', 'nproc=32768:32768'];

/** What a podman command printed. */
export interface PodmanOutput {
  readonly exit: ProcessExit;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `podman <global options> <args>` to its end; fails with its stderr unless `allowFailure`. */
export async function podman(
  args: readonly string[],
  options: { readonly logger: Logger; readonly timeoutMs: number; readonly allowFailure?: boolean },
): Promise<PodmanOutput> {
  const proc = new ManagedProcess('podman', [...podmanGlobal, ...args], {
    name: 'podman',
    logger: options.logger,
    outputLevel: 'off',
    rawStdout: true,
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  proc.child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  proc.child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const timer = setTimeout(() => void proc.stop('SIGTERM', 10_000), options.timeoutMs);
  const exit = await proc.exited.finally(() => clearTimeout(timer));
  const output = {
    exit,
    stdout: Buffer.concat(stdout).toString('utf8'),
    stderr: Buffer.concat(stderr).toString('utf8'),
  };
  if (exit.code !== 0 && options.allowFailure !== true) {
    throw new Error(`podman ${args.slice(0, 2).join(' ')} failed (${describeExit(exit)}): ${output.stderr.trim()}`);
  }
  return output;
}

/** Removes every container carrying `label` (what a run left behind when it was killed). */
export async function removeLabelled(label: string, logger: Logger): Promise<void> {
  const { stdout } = await podman(['ps', '-aq', '--filter', `label=${label}`], { logger, timeoutMs: 30_000 });
  const ids = stdout.split('\n').filter((id) => id.trim() !== '');
  if (ids.length > 0) await podman(['rm', '-f', ...ids], { logger, timeoutMs: 60_000, allowFailure: true });
}

/** A running container's image and resource use at one moment. */
export interface ContainerStats {
  readonly image: string;
  /** CPU use since the last sample, in percent of one core (25 = a quarter vCPU). */
  readonly cpuPercent: number;
  readonly memoryMiB: number;
  readonly memoryLimitMiB: number;
  /** Command names of the processes running in the container (`podman top`). */
  readonly processes: readonly string[];
}

/** The one running container carrying `label`: its image and a `podman stats` sample. */
export async function containerStats(label: string, logger: Logger): Promise<ContainerStats | undefined> {
  const ps = await podman(['ps', '--filter', `label=${label}`, '--format', '{{.ID}} {{.Image}}'], {
    logger,
    timeoutMs: 30_000,
  });
  const [id, image] = ps.stdout.trim().split('\n')[0]?.split(' ') ?? [];
  if (id === undefined || image === undefined) return undefined;
  const stats = await podman(['stats', '--no-stream', '--format', 'json', id], { logger, timeoutMs: 30_000 });
  const [sample] = JSON.parse(stats.stdout) as { cpu_percent?: string; mem_usage?: string }[];
  const top = await podman(['top', id, 'comm'], { logger, timeoutMs: 30_000, allowFailure: true });
  const processes = top.stdout
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return { image, ...parseStats(sample ?? {}), processes };
}

const units: Readonly<Record<string, number>> = {
  B: 1,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/** `cpu_percent: "3.21%"`, `mem_usage: "45.1MB / 536.9MB"` → numbers. */
function parseStats(sample: { cpu_percent?: string; mem_usage?: string }): Omit<ContainerStats, 'image' | 'processes'> {
  const bytes = (text: string | undefined): number => {
    const match = /([\d.]+)\s*([kMG]i?B|B)/.exec(text ?? '');
    return match === null ? Number.NaN : Number(match[1]) * (units[match[2] ?? 'B'] ?? 1);
  };
  const [used, limit] = (sample.mem_usage ?? '').split('/');
  return {
    cpuPercent: Number.parseFloat(sample.cpu_percent ?? 'NaN'),
    memoryMiB: Math.round(bytes(used) / 1024 ** 2),
    memoryLimitMiB: Math.round(bytes(limit) / 1024 ** 2),
  };
}
