import { EgressStatus } from '@livekit/protocol';
import type { LiveKitServer } from '#bench/livekit-server.ts';
import { waitForStatus, type LocalFixture } from '#bench/local-fixture.ts';
import { startSyntheticPublisher } from '#bench/synthetic-publisher.ts';
import { startWsReceiver } from '#bench/ws-receiver.ts';
import { cpuSeconds, rssMiB, summarize } from './proc-stats.ts';

export interface WebSocketBenchResult {
  readonly startLatencyMs: ReturnType<typeof summarize>;
  /** CPU seconds of the task process per second of media, while streaming. */
  readonly cpuPerMediaSecond: number;
  /** CPU seconds of the task process from spawn to ACTIVE (start-up cost). */
  readonly startupCpuSeconds: number;
  readonly rssMiB: number;
  readonly mediaSeconds: number;
}

/**
 * WebSocket track egress: start latency (API call → ACTIVE, from the ACTIVE record's updated_at) over
 * `runs` egresses, and the task's CPU per media-second over one `streamSeconds` run.
 */
export async function benchWebSocketEgress(
  livekit: LiveKitServer,
  local: LocalFixture,
  runs: number,
  streamSeconds: number,
): Promise<WebSocketBenchResult> {
  const publisher = await startSyntheticPublisher({
    url: livekit.url,
    apiKey: livekit.apiKey,
    apiSecret: livekit.apiSecret,
    room: 'bench-ws',
    identity: 'bench-mic',
    audio: true,
  });
  const receiver = await startWsReceiver();
  try {
    const latencies: number[] = [];
    let cpu = { perSecond: NaN, startup: NaN, rss: NaN, media: NaN };
    for (let i = 0; i < runs; i += 1) {
      const t0 = Date.now();
      const info = await local.client.startTrackEgress('bench-ws', `${receiver.url}/b${i}`, publisher.audioTrackSid!);
      const active = await waitForStatus(local.client, info.egressId, EgressStatus.EGRESS_ACTIVE, 10_000);
      latencies.push(Number(active.updatedAt / 1_000_000n) - t0);
      const record = await local.system.store.get(info.egressId);
      const pid = local.system.launcher.pidOf(record?.dispatch.taskId ?? '');
      const seconds = i === runs - 1 ? streamSeconds : 1;
      const startCpu = pid === undefined ? undefined : cpuSeconds(pid);
      const startAt = performance.now();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const endCpu = pid === undefined ? undefined : cpuSeconds(pid);
      const media = (performance.now() - startAt) / 1000;
      if (i === runs - 1 && pid !== undefined && startCpu !== undefined && endCpu !== undefined) {
        cpu = { perSecond: (endCpu - startCpu) / media, startup: startCpu, rss: rssMiB(pid) ?? NaN, media };
      }
      await local.client.stopEgress(info.egressId);
      await waitForStatus(local.client, info.egressId, EgressStatus.EGRESS_COMPLETE, 15_000);
    }
    return {
      startLatencyMs: summarize(latencies),
      cpuPerMediaSecond: cpu.perSecond,
      startupCpuSeconds: cpu.startup,
      rssMiB: cpu.rss,
      mediaSeconds: cpu.media,
    };
  } finally {
    await receiver.stop();
    await publisher.stop();
  }
}
