/**
 * Smoke run of the forwarder image: a real track egress to a WebSocket, with the task inside the container.
 *
 * On the host: a LiveKit server, a synthetic participant publishing Opus, a WebSocket receiver and the local
 * system (API, queue, file store) — all on 127.0.0.1. The local launcher's task entry is a generated script
 * that runs the task with `podman run --network host` at the forwarder's Fargate size instead of `node`, with
 * the store and output folders mounted at the same paths. The egress is started with the LiveKit SDK's
 * EgressClient and stopped either with StopEgress or as ECS StopTask does it, with SIGTERM to the
 * container's PID 1; either way it must end COMPLETE, with PCM at the receiver and the container exiting 0.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EgressStatus } from '@livekit/protocol';
import { EgressClient } from 'livekit-server-sdk';
import { startLiveKitServer } from '#bench/livekit-server.ts';
import { waitForStatus } from '#bench/local-fixture.ts';
import { volume } from '#bench/media-check.ts';
import { startSyntheticPublisher, type SyntheticPublisher } from '#bench/synthetic-publisher.ts';
import { startWsReceiver, type WsReceiver } from '#bench/ws-receiver.ts';
import { statusName } from '#domain/status.ts';
import { startLocalSystem } from '#local/local-system.ts';
import { createLogger, type Logger } from '#shared/logger.ts';
import { containerStats, fargateSizes, images, podman, removeLabelled } from './podman.ts';
import type { ContainerStats } from './podman.ts';
import { containerIds, waitForReport, writeTaskEntry } from './task-container.ts';

/** 48 kHz × 2 channels × 2 bytes. */
const pcmBytesPerSecond = 48_000 * 2 * 2;
const room = 'image-smoke';

/** How the running egress is ended: the API, or a SIGTERM to the container (ECS StopTask, Spot reclaim). */
export type StopWith = 'StopEgress' | 'SIGTERM';

export interface ForwarderSmokeOptions {
  readonly image?: string;
  /** How long the egress runs before it is stopped. @default 5000 */
  readonly recordMs?: number;
  /** @default 'StopEgress' */
  readonly stopWith?: StopWith;
  readonly logger?: Logger;
}

/** What the forwarder smoke run measured. */
export interface ForwarderSmokeResult {
  readonly image: string;
  readonly cpus: string;
  readonly memory: string;
  readonly stopWith: StopWith;
  readonly egressId: string;
  /** Final status name (EGRESS_COMPLETE when all went well), the record's error and details. */
  readonly status: string;
  readonly error: string;
  readonly details: string;
  /** StartTrackEgress → ACTIVE, including the container's start. */
  readonly activeAfterMs: number;
  readonly pcmBytes: number;
  readonly audioSeconds: number;
  readonly maxVolumeDb: number;
  readonly silent: boolean;
  /** The stream's duration as the egress record reports it. */
  readonly streamSeconds: number;
  /** How the container ended (podman's exit code). */
  readonly containerExitCode: number | null | undefined;
  /** Stop → container exited. */
  readonly stopMs: number | undefined;
  /** The task's container while the egress was ACTIVE, as `podman ps`/`podman stats` saw it. */
  readonly container: ContainerStats | undefined;
}

/** Everything the smoke runs on the host, and how to take it down. */
interface Harness {
  readonly base: string;
  readonly label: string;
  readonly ws: WsReceiver;
  readonly publisher: SyntheticPublisher;
  readonly client: EgressClient;
  close(): Promise<void>;
}

/** Runs the forwarder smoke; everything it starts is stopped and removed whatever happens. */
export async function runForwarderSmoke(options: ForwarderSmokeOptions = {}): Promise<ForwarderSmokeResult> {
  const logger = options.logger ?? createLogger({ component: 'forwarder-smoke' });
  const image = options.image ?? images.forwarder;
  const stopWith = options.stopWith ?? 'StopEgress';
  const harness = await startHarness(image, logger);
  try {
    const { client, ws } = harness;
    const startedAt = Date.now();
    const info = await client.startTrackEgress(room, `${ws.url}/pcm`, harness.publisher.audioTrackSid ?? '');
    await waitForStatus(client, info.egressId, EgressStatus.EGRESS_ACTIVE, 60_000);
    const activeAt = Date.now();
    const conn = await ws.waitForConnection(15_000);
    await new Promise((r) => setTimeout(r, options.recordMs ?? 5_000));
    // Proof the task runs in the image (and what it costs there): the container the smoke's label marks.
    const container = await containerStats(harness.label, logger);
    const stopAt = Date.now();
    if (stopWith === 'StopEgress') await client.stopEgress(info.egressId);
    else
      await podman(['kill', '--signal', 'TERM', ...(await containerIds(harness.label, logger))], {
        logger,
        timeoutMs: 30_000,
      });
    const done = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_COMPLETE, 60_000).catch(
      async () => (await client.listEgress({ egressId: info.egressId }))[0],
    );
    await conn.closed;
    const report = await waitForReport(harness.base, info.egressId, 60_000);
    const pcm =
      conn.file === undefined || conn.binaryBytes === 0 ? undefined : await volume({ pcm: conn.file, channels: 2 });
    return {
      image,
      ...fargateSizes.forwarder,
      stopWith,
      egressId: info.egressId,
      status: done === undefined ? 'not found' : statusName(done.status),
      error: done?.error ?? '',
      details: done?.details ?? '',
      activeAfterMs: activeAt - startedAt,
      pcmBytes: conn.binaryBytes,
      audioSeconds: conn.binaryBytes / pcmBytesPerSecond,
      maxVolumeDb: pcm?.maxDb ?? -91,
      silent: pcm?.silent ?? true,
      streamSeconds: Number(done?.streamResults[0]?.duration ?? 0n) / 1e9,
      containerExitCode: report?.code,
      stopMs: report === undefined ? undefined : report.endedAt - stopAt,
      container,
    };
  } finally {
    await harness.close();
  }
}

/**
 * Starts LiveKit, the receiver, the publisher and the local system whose launcher runs the task in `image`.
 * If a step fails, what was started is stopped before the error is thrown.
 */
async function startHarness(image: string, logger: Logger): Promise<Harness> {
  const label = `ue-smoke=${randomBytes(4).toString('hex')}`;
  const base = await mkdtemp(join(tmpdir(), 'ue-forwarder-smoke-'));
  // Run in reverse order of start by close(); the container and the folder go last.
  const cleanups: (() => Promise<unknown>)[] = [
    () => removeLabelled(label, logger),
    () => rm(base, { recursive: true, force: true }),
  ];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups) await cleanup().catch((err: unknown) => logger.warn('cleanup failed', { err }));
  };
  try {
    const [dataDir, outputDir, wsDir] = [join(base, 'store'), join(base, 'output'), join(base, 'ws')];
    await Promise.all([mkdir(dataDir), mkdir(outputDir), mkdir(wsDir)]);
    const taskEntry = await writeTaskEntry({ base, image, kind: 'forwarder', label, mounts: [dataDir, outputDir] });
    const livekit = await startLiveKitServer();
    cleanups.unshift(() => livekit.stop());
    const ws = await startWsReceiver({ recordDir: wsDir });
    cleanups.unshift(() => ws.stop());
    const join_ = { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret, room };
    const publisher = await startSyntheticPublisher({ ...join_, identity: 'speaker', audio: true });
    cleanups.unshift(() => publisher.stop());
    const { apiKey, apiSecret } = livekit;
    const system = await startLocalSystem(
      {
        livekitUrl: livekit.url,
        apiKey,
        apiSecret,
        host: '127.0.0.1',
        port: 0,
        dataDir,
        outputDir,
        webhookUrls: [],
        taskEntry,
      },
      logger,
    );
    cleanups.unshift(() => system.stop());
    const client = new EgressClient(system.url, apiKey, apiSecret);
    return { base, label, ws, publisher, client, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** What must hold for the forwarder smoke to pass; each broken expectation is one line. */
export function forwarderProblems(result: ForwarderSmokeResult): string[] {
  const problems: string[] = [];
  if (result.container?.image !== result.image) problems.push(`no container of ${result.image} ran the task`);
  if (result.status !== 'EGRESS_COMPLETE') problems.push(`egress ended ${result.status}: ${result.error}`);
  if (result.audioSeconds < 1) problems.push(`only ${result.audioSeconds.toFixed(2)} s of PCM reached the receiver`);
  if (result.silent) problems.push(`the PCM is silent (peak ${result.maxVolumeDb} dB)`);
  if (result.containerExitCode !== 0) problems.push(`the container exited with ${String(result.containerExitCode)}`);
  return problems;
}
