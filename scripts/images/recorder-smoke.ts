/**
 * Smoke run of the recorder image: its self-check (Xvfb + PulseAudio + Chromium + ffmpeg recording a test
 * page) inside the container at the recorder's Fargate size, with no network, as root or as the image's
 * non-root user. The MP4 it records is kept in a mounted folder and checked again on the host with ffprobe.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freezes, probe, volume, type ProbeResult } from '#bench/media-check.ts';
import { createLogger, type Logger } from '#shared/logger.ts';
import { fargateSizes, images, podman, removeLabelled, runLimits } from './podman.ts';

export interface RecorderSmokeOptions {
  /** `root` (`--user 0:0`), or `node`: the image's own non-root user (USER 1000), no `--user` flag. */
  readonly user: 'root' | 'node';
  readonly image?: string;
  readonly logger?: Logger;
}

/** What the recorder smoke run measured. */
export interface RecorderSmokeResult {
  readonly image: string;
  readonly cpus: string;
  readonly memory: string;
  readonly user: 'root' | 'node';
  readonly exitCode: number | null;
  /** `podman run` start → exit. */
  readonly wallMs: number;
  /** The self-check's own last log line (its verdict and figures). */
  readonly selfCheck: Record<string, unknown> | undefined;
  /** The MP4 as the host's ffprobe sees it (undefined when the self-check left no file). */
  readonly probe: ProbeResult | undefined;
  readonly maxVolumeDb: number | undefined;
  readonly silent: boolean | undefined;
  readonly freezes: number | undefined;
}

/** Runs the recorder self-check in the image; the container and the scratch folder are removed on every path. */
export async function runRecorderSmoke(options: RecorderSmokeOptions): Promise<RecorderSmokeResult> {
  const logger = options.logger ?? createLogger({ component: 'recorder-smoke' });
  const image = options.image ?? images.recorder;
  const { cpus, memory } = fargateSizes.recorder;
  const label = `ue-smoke=${randomBytes(4).toString('hex')}`;
  const out = await mkdtemp(join(tmpdir(), 'ue-recorder-smoke-'));
  try {
    const args = [
      ...['run', '--rm', '--label', label, '--network', 'none', '--cpus', cpus, '--memory', memory, ...runLimits],
      ...(options.user === 'root' ? ['--user', '0:0'] : []),
      // `:U`: the folder belongs to whichever user the container runs as.
      ...['-v', `${out}:/out:U`, '-e', 'SELF_CHECK_OUTPUT=/out/self-check.mp4', '-e', 'LOG_LEVEL=info'],
      ...[image, 'node', 'dist/task/self-check.mjs'],
    ];
    const began = Date.now();
    const run = await podman(args, { logger, timeoutMs: 120_000, allowFailure: true });
    const wallMs = Date.now() - began;
    const file = join(out, 'self-check.mp4');
    const probed = await probe(file).catch(() => undefined);
    const loudness = probed?.audio === undefined ? undefined : await volume(file);
    const frozen = probed?.video === undefined ? undefined : await freezes(file);
    return {
      image,
      cpus,
      memory,
      user: options.user,
      exitCode: run.exit.code,
      wallMs,
      selfCheck: lastJsonLine(run.stderr),
      probe: probed,
      maxVolumeDb: loudness?.maxDb,
      silent: loudness?.silent,
      freezes: frozen?.length,
    };
  } finally {
    await removeLabelled(label, logger).catch((err: unknown) => logger.warn('cleanup failed', { err }));
    await rm(out, { recursive: true, force: true });
  }
}

/** The last line of `text` that parses as a JSON object. */
function lastJsonLine(text: string): Record<string, unknown> | undefined {
  for (const line of text.trim().split('\n').reverse()) {
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
    } catch {
      // not a log line (podman's own output)
    }
  }
  return undefined;
}

/** What must hold for the recorder smoke to pass; each broken expectation is one line. */
export function recorderProblems(result: RecorderSmokeResult): string[] {
  const problems: string[] = [];
  const as = `as ${result.user}`;
  if (result.exitCode !== 0)
    problems.push(`self-check ${as} exited ${String(result.exitCode)}: ${JSON.stringify(result.selfCheck)}`);
  if (result.probe?.video?.codec !== 'h264') problems.push(`${as}: no H.264 video in the MP4`);
  if (result.probe?.audio?.codec !== 'aac') problems.push(`${as}: no AAC audio in the MP4`);
  if (!((result.probe?.durationS ?? 0) >= 2.5)) problems.push(`${as}: the MP4 lasts ${result.probe?.durationS} s`);
  if (result.silent !== false) problems.push(`${as}: the audio is silent (peak ${result.maxVolumeDb} dB)`);
  if (result.freezes !== 0) problems.push(`${as}: the video froze ${result.freezes} time(s)`);
  return problems;
}
