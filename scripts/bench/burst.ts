import { DirectFileOutput, EgressStatus, type EgressInfo } from '@livekit/protocol';
import type { LiveKitServer } from '#bench/livekit-server.ts';
import type { LocalFixture } from '#bench/local-fixture.ts';
import { isTerminal, statusName } from '#domain/status.ts';
import { decodeErrors, mediaDuration } from '#bench/media-check.ts';
import { startSyntheticPublisher, type SyntheticPublisher } from '#bench/synthetic-publisher.ts';
import { startWsReceiver } from '#bench/ws-receiver.ts';
import { msOf } from './egress-runs.ts';
import { cpuSeconds, summarize } from './proc-stats.ts';

/** One egress of the burst. */
type Kind = 'opus-file' | 'vp8-file' | 'websocket';

export interface BurstResult {
  readonly egresses: number;
  readonly publishers: number;
  /** StartTrackEgress calls that failed (the SDK timed out waiting for the API). */
  readonly startFailures: number;
  /** How long the StartTrackEgress call itself took, ms. */
  readonly startCallMs: ReturnType<typeof summarize>;
  /** API call → ACTIVE (the ACTIVE record's updated_at), ms. */
  readonly toActiveMs: ReturnType<typeof summarize>;
  /** CPU seconds a task had used when its ACTIVE was seen (spawn, imports, join, subscribe). */
  readonly startupCpuSeconds: ReturnType<typeof summarize>;
  readonly complete: number;
  /** Files whose decode printed errors, and how many lines in all. */
  readonly filesWithDecodeErrors: number;
  readonly decodeErrorLines: number;
  /** File duration − (ACTIVE → stop), s, by kind. */
  readonly durationErrorS: { readonly opus: ReturnType<typeof summarize>; readonly vp8: ReturnType<typeof summarize> };
  /** WebSocket receivers that got less than 90 % of the PCM their egress's wall time holds. */
  readonly shortWebSockets: number;
  /**
   * Sound each publisher skipped (never sent) to stay on its clock while starved of CPU, s, over the whole
   * burst: an Opus file is that much shorter than its wall time, whatever the recorder does.
   */
  readonly publisherSkippedS: ReturnType<typeof summarize>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pcmBytesPerSecond = 48_000 * 2 * 2;

/**
 * `count` track egresses started back to back (3/5 Opus files, 1/5 VP8 files, 1/5 WebSocket) over
 * `publisherCount` publishers, each recording `seconds` after its ACTIVE: how fast a burst becomes ACTIVE,
 * what a task's start costs, and whether every output holds its recording.
 */
export async function benchBurst(
  livekit: LiveKitServer,
  local: LocalFixture,
  options: { readonly count: number; readonly publisherCount: number; readonly seconds: number },
): Promise<BurstResult> {
  const room = 'bench-burst';
  const publishers: SyntheticPublisher[] = [];
  const receiver = await startWsReceiver();
  try {
    const join = { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret, room };
    // Small pictures: ten encoders share the two cores with the fifty egresses.
    const video = { codec: 'vp8', width: 320, height: 180, bitrateKbps: 300 } as const;
    for (let n = 0; n < options.publisherCount; n += 1) {
      publishers.push(await startSyntheticPublisher({ ...join, identity: `burst-${n}`, audio: true, video }));
    }
    await sleep(2_000);
    const kinds: Kind[] = Array.from({ length: options.count }, (_, i) =>
      i % 5 === 3 ? 'vp8-file' : i % 5 === 4 ? 'websocket' : 'opus-file',
    );
    const started: { kind: Kind; egressId: string; t0: number; callMs: number; path: string }[] = [];
    let startFailures = 0;
    for (const [i, kind] of kinds.entries()) {
      const publisher = publishers[i % publishers.length]!;
      const path = `/burst-${i}`;
      const t0 = Date.now();
      try {
        const info =
          kind === 'websocket'
            ? await local.client.startTrackEgress(room, `${receiver.url}${path}`, publisher.audioTrackSid!)
            : await local.client.startTrackEgress(
                room,
                new DirectFileOutput({ filepath: `burst/${i}-{track_id}` }),
                kind === 'vp8-file' ? publisher.videoTrackSid! : publisher.audioTrackSid!,
              );
        started.push({ kind, egressId: info.egressId, t0, callMs: Date.now() - t0, path });
      } catch (err) {
        // The SDK's own request timeout: the API did not answer in time on the loaded machine.
        startFailures += 1;
        console.error(`[bench] burst: start ${i} failed after ${Date.now() - t0} ms: ${String(err)}`);
      }
    }
    const runs = await Promise.all(started.map((s) => record(local, s, options.seconds)));
    const files = runs.filter((r) => r.kind !== 'websocket' && r.done.status === EgressStatus.EGRESS_COMPLETE);
    const checked = await Promise.all(
      files.map(async (r) => {
        const location = r.done.fileResults[0]?.location ?? '';
        const errors = await decodeErrors(location);
        return { kind: r.kind, errors: errors.length, durationError: (await mediaDuration(location)) - r.wallS };
      }),
    );
    const sockets = receiver.connections;
    const shortWebSockets = runs
      .filter((r) => r.kind === 'websocket')
      .filter((r) => {
        const path = started.find((s) => s.egressId === r.egressId)?.path ?? '';
        const bytes = sockets.filter((c) => c.url.endsWith(path)).reduce((sum, c) => sum + c.binaryBytes, 0);
        return bytes < 0.9 * r.wallS * pcmBytesPerSecond;
      }).length;
    return {
      egresses: options.count,
      startFailures,
      publishers: options.publisherCount,
      startCallMs: summarize(started.map((s) => s.callMs)),
      toActiveMs: summarize(runs.map((r) => r.toActiveMs).filter(Number.isFinite)),
      startupCpuSeconds: summarize(runs.map((r) => r.startupCpu).filter(Number.isFinite)),
      complete: runs.filter((r) => r.done.status === EgressStatus.EGRESS_COMPLETE).length,
      filesWithDecodeErrors: checked.filter((c) => c.errors > 0).length,
      decodeErrorLines: checked.reduce((sum, c) => sum + c.errors, 0),
      durationErrorS: {
        opus: summarize(checked.filter((c) => c.kind === 'opus-file').map((c) => c.durationError)),
        vp8: summarize(checked.filter((c) => c.kind === 'vp8-file').map((c) => c.durationError)),
      },
      shortWebSockets,
      publisherSkippedS: summarize(
        publishers.map((p) => (p.stats().audio?.skips ?? []).reduce((sum, skip) => sum + skip.contentMs, 0) / 1000),
      ),
    };
  } finally {
    await receiver.stop();
    await Promise.all(publishers.map((p) => p.stop()));
  }
}

/**
 * Waits for `status` by reading the store itself every 250 ms: fifty clients polling the API every 50 ms
 * (the tests' helper) would be a load of their own on the machine the burst is measured on.
 */
async function statusOf(
  local: LocalFixture,
  egressId: string,
  status: EgressStatus,
  timeoutMs: number,
): Promise<EgressInfo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = (await local.system.store.get(egressId))?.info;
    if (info?.status === status) return info;
    if (info !== undefined && isTerminal(info.status))
      throw new Error(`${egressId} ended ${statusName(info.status)}: ${info.error}`);
    if (Date.now() > deadline) throw new Error(`${egressId} not ${statusName(status)} after ${timeoutMs} ms`);
    await sleep(250);
  }
}

/** Waits for ACTIVE (reading the task's CPU then), records `seconds`, stops and waits for the end. */
async function record(
  local: LocalFixture,
  s: { kind: Kind; egressId: string; t0: number },
  seconds: number,
): Promise<{ kind: Kind; egressId: string; toActiveMs: number; startupCpu: number; wallS: number; done: EgressInfo }> {
  let active: EgressInfo;
  try {
    active = await statusOf(local, s.egressId, EgressStatus.EGRESS_ACTIVE, 120_000);
  } catch {
    // Never active: counted as not COMPLETE, with its record as it ended (or stands).
    const info = (await local.system.store.get(s.egressId))!.info;
    return { kind: s.kind, egressId: s.egressId, toActiveMs: NaN, startupCpu: NaN, wallS: 0, done: info };
  }
  const taskId = (await local.system.store.get(s.egressId))?.dispatch.taskId ?? '';
  const pid = local.system.launcher.pidOf(taskId);
  const startupCpu = (pid === undefined ? undefined : cpuSeconds(pid)) ?? NaN;
  const activeAt = msOf(active.updatedAt);
  await sleep(Math.max(0, activeAt + seconds * 1000 - Date.now()));
  const stopping = await local.client.stopEgress(s.egressId);
  const done = await statusOf(local, s.egressId, EgressStatus.EGRESS_COMPLETE, 120_000).catch(
    async () => (await local.system.store.get(s.egressId))!.info,
  );
  return {
    kind: s.kind,
    egressId: s.egressId,
    toActiveMs: activeAt - s.t0,
    startupCpu,
    wallS: (msOf(stopping.updatedAt) - activeAt) / 1000,
    done,
  };
}
