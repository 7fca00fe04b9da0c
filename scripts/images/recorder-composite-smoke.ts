/**
 * Room composite (or track composite) inside the recorder image: a real recording, with the task inside
 * the container.
 *
 * On the host: a LiveKit server, two synthetic participants (one with sound) and the local system (API,
 * queue, file store) — all on 127.0.0.1. The local launcher's task entry runs the task with `podman run
 * --network host` at the recorder's Fargate size for a room composite ≤ 720p30 (2 vCPU, 4 GiB), with the
 * store and output folders mounted at the same paths. Inside: the task serves the built-in templates from
 * the image's dist/templates, Chromium (the image's Debian build, flags of capture/chromium.ts) loads the
 * grid, joins the room and sends the start signal; ffmpeg records the screen and the sink to an MP4 in the
 * output folder, which the host's ffprobe then checks. With `source: 'tracks'` the same task records one
 * participant's audio and video as a track composite at the sizing table's smaller size, without a browser.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EgressStatus, EncodedFileOutput, type EgressInfo } from '@livekit/protocol';
import { EgressClient } from 'livekit-server-sdk';
import { startLiveKitServer } from '#bench/livekit-server.ts';
import { waitForStatus } from '#bench/local-fixture.ts';
import { freezes, mediaDuration, probe, volume, type ProbeResult } from '#bench/media-check.ts';
import { startSyntheticPublisher } from '#bench/synthetic-publisher.ts';
import { statusName } from '#domain/status.ts';
import { startLocalSystem } from '#local/local-system.ts';
import { createLogger, type Logger } from '#shared/logger.ts';
import {
  containerStats,
  fargateSizes,
  images,
  podman,
  removeLabelled,
  runLimits,
  trackCompositeSize,
} from './podman.ts';
import type { ContainerStats } from './podman.ts';
import { waitForReport, writeTaskEntry } from './task-container.ts';

const room = 'image-composite';
const epochMs = (nanos: bigint): number => Number(nanos / 1_000_000n);

export interface CompositeSmokeOptions {
  readonly image?: string;
  /** How long the egress records after ACTIVE before StopEgress. @default 8000 */
  readonly recordMs?: number;
  /** A room composite grid of two participants, or a track composite of the first one. @default 'room' */
  readonly source?: 'room' | 'tracks';
  readonly logger?: Logger;
}

/** What the room composite smoke run measured. */
export interface CompositeSmokeResult {
  readonly image: string;
  readonly cpus: string;
  readonly memory: string;
  readonly egressId: string;
  /** Final status name (EGRESS_COMPLETE when all went well), the record's error. */
  readonly status: string;
  readonly error: string;
  /** The built-in template files in the image (`/app/dist/templates`). */
  readonly templates: readonly string[];
  /** StartRoomCompositeEgress → ACTIVE: the container's start, the capture stack, the page's start signal. */
  readonly activeAfterMs: number;
  /** ACTIVE → ENDING as the record has them (both written on this host's clock). */
  readonly wallSeconds: number;
  /** The MP4 as the host's ffprobe sees it (undefined when there is no file). */
  readonly probe: ProbeResult | undefined;
  readonly durationS: number | undefined;
  readonly maxVolumeDb: number | undefined;
  readonly silent: boolean | undefined;
  /** Frozen stretches of at least 1 s. */
  readonly freezes: number | undefined;
  readonly containerExitCode: number | null | undefined;
  /** StopEgress → container exited. */
  readonly stopMs: number | undefined;
  /** The task's container while recording, as `podman ps`/`podman stats` saw it. */
  readonly container: ContainerStats | undefined;
  /**
   * The host's 1-minute load average at the stop. On a shared 2-core host the container may get far less
   * than its 2 vCPU; starved, the recording falls behind and its last second or more is missing.
   */
  readonly hostLoad: number;
}

/** Runs the composite smoke; everything it starts is stopped and removed whatever happens. */
export async function runCompositeSmoke(options: CompositeSmokeOptions = {}): Promise<CompositeSmokeResult> {
  const logger = options.logger ?? createLogger({ component: 'composite-smoke' });
  const image = options.image ?? images.recorder;
  const label = `ue-smoke=${randomBytes(4).toString('hex')}`;
  const base = await mkdtemp(join(tmpdir(), 'ue-composite-smoke-'));
  // Run in reverse order of start; the container and the folder go last.
  const cleanups: (() => Promise<unknown>)[] = [
    () => removeLabelled(label, logger),
    () => rm(base, { recursive: true, force: true }),
  ];
  try {
    const templates = await templateFiles(image, logger);
    const [dataDir, outputDir] = [join(base, 'store'), join(base, 'output')];
    await Promise.all([mkdir(dataDir), mkdir(outputDir)]);
    const source = options.source ?? 'room';
    const size = source === 'tracks' ? trackCompositeSize : fargateSizes.recorder;
    const mounts = [dataDir, outputDir];
    const taskEntry = await writeTaskEntry({ base, image, kind: 'recorder', size, label, mounts });
    const livekit = await startLiveKitServer();
    cleanups.unshift(() => livekit.stop());
    const { apiKey, apiSecret } = livekit;
    const join_ = { url: livekit.url, apiKey, apiSecret, room };
    const publishers = [];
    for (const publisher of [
      { identity: 'alice', audio: true, video: { codec: 'vp8' as const } },
      { identity: 'bob', video: { codec: 'vp8' as const } },
    ]) {
      const started = await startSyntheticPublisher({ ...join_, ...publisher });
      publishers.push(started);
      cleanups.unshift(() => started.stop());
    }
    const config = { livekitUrl: livekit.url, apiKey, apiSecret, host: '127.0.0.1', port: 0, dataDir, outputDir };
    const system = await startLocalSystem({ ...config, webhookUrls: [], taskEntry }, logger);
    cleanups.unshift(() => system.stop());
    const client = new EgressClient(system.url, apiKey, apiSecret);
    const alice = publishers[0];
    const start = (): Promise<EgressInfo> =>
      source === 'tracks'
        ? client.startTrackCompositeEgress(room, new EncodedFileOutput({ filepath: `rc/${room}.mp4` }), {
            audioTrackId: alice?.audioTrackSid,
            videoTrackId: alice?.videoTrackSid,
          })
        : client.startRoomCompositeEgress(room, new EncodedFileOutput({ filepath: 'rc/{room_name}' }), {
            layout: 'grid',
          });
    const measured = await record(client, start, { base, label, outputDir, recordMs: options.recordMs }, logger);
    return { image, ...size, templates, ...measured };
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((err: unknown) => logger.warn('cleanup failed', { err }));
  }
}

/** Starts the grid egress, stops it after `recordMs` of ACTIVE, and measures the file and the container. */
async function record(
  client: EgressClient,
  start: () => Promise<EgressInfo>,
  run: { base: string; label: string; outputDir: string; recordMs: number | undefined },
  logger: Logger,
): Promise<Omit<CompositeSmokeResult, 'image' | 'cpus' | 'memory' | 'templates'>> {
  const startedAt = Date.now();
  const info = await start();
  // The container's start, Xvfb, PulseAudio, Chromium and the page joining the room, on a busy 2-core host.
  const active = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_ACTIVE, 120_000);
  const activeAfterMs = Date.now() - startedAt;
  await new Promise((r) => setTimeout(r, run.recordMs ?? 8_000));
  const container = await containerStats(run.label, logger);
  const stopping = await client.stopEgress(info.egressId);
  const stopAt = Date.now();
  const hostLoad = loadavg()[0] ?? Number.NaN;
  const done = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_COMPLETE, 60_000).catch(
    async () => (await client.listEgress({ egressId: info.egressId }))[0],
  );
  const report = await waitForReport(run.base, info.egressId, 60_000);
  const file = join(run.outputDir, done?.fileResults[0]?.filename ?? `rc/${room}.mp4`);
  const probed = await probe(file).catch(() => undefined);
  const loudness = probed?.audio === undefined ? undefined : await volume(file);
  const frozen = probed?.video === undefined ? undefined : await freezes(file, { minDurationS: 1 });
  return {
    egressId: info.egressId,
    status: done === undefined ? 'not found' : statusName(done.status),
    error: done?.error ?? '',
    activeAfterMs,
    wallSeconds: (epochMs(stopping.updatedAt) - epochMs(active.updatedAt)) / 1000,
    probe: probed,
    durationS: probed === undefined ? undefined : await mediaDuration(file),
    maxVolumeDb: loudness?.maxDb,
    silent: loudness?.silent,
    freezes: frozen?.length,
    containerExitCode: report?.code,
    stopMs: report === undefined ? undefined : report.endedAt - stopAt,
    container,
    hostLoad,
  };
}

/** The files of the image's built-in templates folder (what the task's template server serves). */
async function templateFiles(image: string, logger: Logger): Promise<string[]> {
  const args = ['run', '--rm', '--network', 'none', ...runLimits, image, 'ls', '-1', '/app/dist/templates'];
  const { stdout } = await podman(args, { logger, timeoutMs: 60_000, allowFailure: true });
  return stdout.split('\n').filter((name) => name.trim() !== '');
}

/** What must hold for the composite smoke to pass; each broken expectation is one line. */
export function compositeProblems(result: CompositeSmokeResult): string[] {
  const problems: string[] = [];
  if (result.container?.image !== result.image) problems.push(`no container of ${result.image} ran the task`);
  if (!result.templates.includes('index.html')) problems.push('the image has no /app/dist/templates/index.html');
  if (result.status !== 'EGRESS_COMPLETE') problems.push(`egress ended ${result.status}: ${result.error}`);
  const video = result.probe?.video;
  if (video?.codec !== 'h264' || video.width !== 1280 || video.height !== 720) {
    problems.push(`the video is not H.264 1280x720: ${JSON.stringify(video)}`);
  }
  if (result.probe?.audio?.codec !== 'aac') problems.push('no AAC audio in the MP4');
  if (result.silent !== false) problems.push(`the audio is silent (peak ${result.maxVolumeDb} dB)`);
  const drift = Math.abs((result.durationS ?? 0) - result.wallSeconds);
  if (!(drift <= 0.5)) {
    const load = `container CPU ${result.container?.cpuPercent}%, host load ${result.hostLoad.toFixed(1)} on 2 cores`;
    problems.push(`the MP4 lasts ${result.durationS} s for ${result.wallSeconds} s recorded (${load})`);
  }
  if (result.containerExitCode !== 0) problems.push(`the container exited with ${String(result.containerExitCode)}`);
  return problems;
}
