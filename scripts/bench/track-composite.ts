import { join } from 'node:path';
import { EncodedFileOutput } from '@livekit/protocol';
import type { LiveKitServer } from '#bench/livekit-server.ts';
import { waitForStatus, type LocalFixture } from '#bench/local-fixture.ts';
import { avSync, cadence, mediaDuration } from '#bench/media-check.ts';
import { videoSendCounters, videoSendRate, type VideoSendRate } from '#bench/published-bitrate.ts';
import { percentile } from '#bench/signal-analysis.ts';
import { startSyntheticPublisher } from '#bench/synthetic-publisher.ts';
import type { Logger } from '#shared/logger.ts';
import { EgressStatus } from '@livekit/protocol';
import { msOf, stopAndWait, taskGone, taskOf } from './egress-runs.ts';
import { groupSelector, measureGroup, summarize, type GroupCpu, type PssPeak } from './proc-stats.ts';

/** How long and how often the track composite is measured. */
export interface TrackCompositeBenchOptions {
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Starts for the latency figure: the first is the measured recording, the rest stop at ACTIVE. */
  readonly runs: number;
  readonly logger: Logger;
}

/** A/V offsets of the recording (ms, + = audio late). */
export interface TrackCompositeSync {
  readonly pairs: number;
  readonly expected: number;
  readonly p95AbsMs: number;
  readonly medianMs: number;
  /** Median offset over the pairs of the first minute's last 20 s (or the first 20 s of a shorter run). */
  readonly firstMinuteMedianMs: number;
  /** Median offset over the last 20 s. */
  readonly lastMedianMs: number;
  /** Median offset of each whole minute (a drift shows as a trend). */
  readonly minuteMediansMs: readonly number[];
  readonly cadenceP95DriftMs: number;
}

/** The track composite section of the bench. */
export interface TrackCompositeBench {
  readonly seconds: number;
  readonly startLatencyMs: ReturnType<typeof summarize>;
  readonly cpu: GroupCpu;
  readonly cpuPerMediaSecond: number;
  readonly pss: PssPeak;
  readonly durationS: number;
  readonly activeToStopS: number;
  readonly published: VideoSendRate;
  readonly sync: TrackCompositeSync;
}

const room = 'bench-tracks';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Track composite egress of one camera-like publisher (VP8 1280x720 at 1.5 Mbps, beeping Opus) to a 720p30
 * MP4: start latency, CPU and PSS of the task's whole process group, duration against the wall clock, and
 * the A/V offset at the start and at the end of the recording.
 */
export async function benchTrackComposite(
  livekit: LiveKitServer,
  local: LocalFixture,
  options: TrackCompositeBenchOptions,
): Promise<TrackCompositeBench> {
  const join0 = { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret, room };
  const video = { codec: 'vp8', width: 1280, height: 720, bitrateKbps: 1500 } as const;
  const maxDurationMs = (options.seconds + 300) * 1000;
  const publisher = await startSyntheticPublisher({ ...join0, identity: 'cam', audio: true, video, maxDurationMs });
  try {
    await sleep(5_000);
    const start = (name: string) =>
      local.client.startTrackCompositeEgress(room, new EncodedFileOutput({ filepath: `bench-tracks/${name}.mp4` }), {
        audioTrackId: publisher.audioTrackSid,
        videoTrackId: publisher.videoTrackSid,
      });
    const t0 = Date.now();
    const info = await start('measured');
    const active = await waitForStatus(local.client, info.egressId, EgressStatus.EGRESS_ACTIVE, 30_000);
    const latencies = [msOf(active.updatedAt) - t0];
    const task = await taskOf(local, info.egressId);
    const from = performance.now() - (Date.now() - msOf(active.updatedAt));
    const window = { from, warmupMs: options.warmupSeconds * 1000, untilMs: options.seconds * 1000 };
    const { cpu, pss, marks } = await measureGroup(groupSelector(task.pid), window, () =>
      videoSendCounters(publisher.room),
    );
    const { stopping, done } = await stopAndWait(local, info.egressId, task.taskId);
    const file = join(local.outputDir, done.fileResults[0]?.filename ?? 'missing');
    const activeToStopS = (msOf(stopping.updatedAt) - msOf(active.updatedAt)) / 1000;
    const durationS = await mediaDuration(file);
    const sync = await syncOf(file, durationS);
    for (let i = 1; i < options.runs; i++) {
      const t = Date.now();
      const run = await start(`start-${i}`);
      const ok = await waitForStatus(local.client, run.egressId, EgressStatus.EGRESS_ACTIVE, 30_000);
      latencies.push(msOf(ok.updatedAt) - t);
      const runTask = await taskOf(local, run.egressId);
      await stopAndWait(local, run.egressId, runTask.taskId);
      await taskGone(local, runTask.taskId);
    }
    return {
      seconds: options.seconds,
      startLatencyMs: summarize(latencies),
      cpu,
      cpuPerMediaSecond: (cpu.cores * activeToStopS) / durationS,
      pss,
      durationS,
      activeToStopS,
      published: videoSendRate(marks[0], marks[1]),
      sync,
    };
  } finally {
    await publisher.stop();
  }
}

async function syncOf(file: string, durationS: number): Promise<TrackCompositeSync> {
  const [report, frames] = await Promise.all([avSync(file), cadence(file, { fps: 30 })]);
  const median = (from: number, to: number): number =>
    percentile(
      report.pairs.filter((p) => p.flash >= from && p.flash < to).map((p) => p.offsetMs),
      50,
    );
  const firstTo = Math.min(60, durationS);
  return {
    pairs: report.pairs.length,
    expected: Math.floor(durationS),
    p95AbsMs: percentile(
      report.pairs.map((p) => Math.abs(p.offsetMs)),
      95,
    ),
    medianMs: median(0, durationS),
    firstMinuteMedianMs: median(Math.max(0, firstTo - 20), firstTo),
    lastMedianMs: median(durationS - 20, durationS),
    minuteMediansMs: Array.from({ length: Math.floor(durationS / 60) }, (_, m) =>
      Math.round(median(m * 60, m * 60 + 60)),
    ),
    cadenceP95DriftMs: frames.p95DriftMs,
  };
}
