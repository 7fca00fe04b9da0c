import { readFileSync } from 'node:fs';
import { DirectFileOutput, EgressStatus } from '@livekit/protocol';
import { AccessToken } from 'livekit-server-sdk';
import type { LiveKitServer } from '#bench/livekit-server.ts';
import { waitForStatus, type LocalFixture } from '#bench/local-fixture.ts';
import { startSyntheticPublisher } from '#bench/synthetic-publisher.ts';
import { createLogger } from '#shared/logger.ts';
import { ManagedProcess } from '#shared/managed-process.ts';
import { cpuSeconds, rssMiB, summarize } from './proc-stats.ts';

export interface TrackBenchResult {
  readonly egresses: number;
  readonly seconds: number;
  readonly startLatencyMs: ReturnType<typeof summarize>;
  readonly cpuPerTrack: { readonly audio: number; readonly video: number };
  readonly rssPerTrackMiB: { readonly audio: number; readonly video: number };
  readonly transcode: { readonly audio: number; readonly video: number };
  readonly videoBitrateKbps: number;
}

/** CPU seconds of a process and all its live descendants (ffmpeg under the baseline's node). */
function treeCpu(pid: number): number {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // gone
  }
  return (cpuSeconds(pid) ?? 0) + children.reduce((sum, c) => sum + treeCpu(c), 0);
}

/**
 * `count` concurrent track egresses (half of a 720p VP8 track, half of an Opus track) for `seconds`: start
 * latency, CPU and memory per task; then the same tracks decoded and re-encoded (rtc-node + ffmpeg).
 */
export async function benchTrackFileEgress(
  livekit: LiveKitServer,
  local: LocalFixture,
  count: number,
  seconds: number,
): Promise<TrackBenchResult> {
  const publisher = await startSyntheticPublisher({
    url: livekit.url,
    apiKey: livekit.apiKey,
    apiSecret: livekit.apiSecret,
    room: 'bench-files',
    identity: 'bench-cam',
    audio: true,
    video: { codec: 'vp8', width: 1280, height: 720, bitrateKbps: 1500 },
  });
  try {
    await new Promise((r) => setTimeout(r, 2_000));
    const tracks = Array.from({ length: count }, (_, i) => (i % 2 === 0 ? 'video' : 'audio'));
    // Started one after another, each measured to ACTIVE while the ones before it keep recording.
    const runs: { kind: 'audio' | 'video'; egressId: string; latency: number; pid: number }[] = [];
    for (const [i, kind] of tracks.entries()) {
      runs.push(
        await (async () => {
          const t0 = Date.now();
          const sid = kind === 'video' ? publisher.videoTrackSid! : publisher.audioTrackSid!;
          const info = await local.client.startTrackEgress(
            'bench-files',
            new DirectFileOutput({ filepath: `bench/${i}-{track_id}` }),
            sid,
          );
          const active = await waitForStatus(local.client, info.egressId, EgressStatus.EGRESS_ACTIVE, 15_000);
          const record = await local.system.store.get(info.egressId);
          return {
            kind,
            egressId: info.egressId,
            latency: Number(active.updatedAt / 1_000_000n) - t0,
            pid: local.system.launcher.pidOf(record?.dispatch.taskId ?? '')!,
          };
        })(),
      );
    }
    const before = runs.map((r) => cpuSeconds(r.pid) ?? 0);
    const t = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const elapsed = (performance.now() - t) / 1000;
    const cpu = runs.map((r, i) => ((cpuSeconds(r.pid) ?? 0) - (before[i] ?? 0)) / elapsed);
    const rss = runs.map((r) => rssMiB(r.pid) ?? NaN);
    const done = await Promise.all(
      runs.map(async (r) => {
        await local.client.stopEgress(r.egressId);
        return waitForStatus(local.client, r.egressId, EgressStatus.EGRESS_COMPLETE, 30_000);
      }),
    );
    const videoFile = done.find((d, i) => runs[i]?.kind === 'video')?.fileResults[0];
    const mean = (kind: string, values: number[]): number => {
      const picked = values.filter((_, i) => runs[i]?.kind === kind);
      return picked.reduce((a, b) => a + b, 0) / picked.length;
    };
    const transcode = {
      audio: await baseline(livekit, publisher.audioTrackSid!, seconds),
      video: await baseline(livekit, publisher.videoTrackSid!, seconds),
    };
    return {
      egresses: count,
      seconds: elapsed,
      startLatencyMs: summarize(runs.map((r) => r.latency)),
      cpuPerTrack: { audio: mean('audio', cpu), video: mean('video', cpu) },
      rssPerTrackMiB: { audio: mean('audio', rss), video: mean('video', rss) },
      transcode,
      videoBitrateKbps:
        videoFile === undefined ? NaN : (Number(videoFile.size) * 8) / (Number(videoFile.duration) / 1e9) / 1000,
    };
  } finally {
    await publisher.stop();
  }
}

/** CPU (cores) of decoding + re-encoding one track for `seconds`, process tree included. */
async function baseline(livekit: LiveKitServer, trackSid: string, seconds: number): Promise<number> {
  const token = new AccessToken(livekit.apiKey, livekit.apiSecret, { identity: `baseline-${trackSid}` });
  token.addGrant({ roomJoin: true, room: 'bench-files', canPublish: false, canSubscribe: true, hidden: true });
  const proc = new ManagedProcess(
    'npx',
    [
      'tsx',
      'scripts/bench/transcode-baseline.ts',
      livekit.url,
      await token.toJwt(),
      trackSid,
      `/tmp/baseline-${trackSid}.${trackSid.startsWith('TR_A') ? 'ogg' : 'webm'}`,
    ],
    {
      name: 'transcode-baseline',
      logger: createLogger({ component: 'bench' }),
      env: { ...process.env, NODE_ENV: 'production' },
    },
  );
  await new Promise((r) => setTimeout(r, 4_000));
  const pid = proc.pid!;
  const start = treeCpu(pid);
  const t = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const used = treeCpu(pid) - start;
  const elapsed = (performance.now() - t) / 1000;
  await proc.stop('SIGTERM', 5_000);
  return used / elapsed;
}
