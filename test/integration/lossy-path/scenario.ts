/**
 * The lossy-path scenario. Runs INSIDE a network namespace that has only `lo` and a veth pair of its own, started by
 * `test/integration/lossy-path.test.ts`: a LiveKit server, the local system and a synthetic publisher,
 * with an iptables rule of this namespace dropping 5 % of the publisher's media datagrams on their way to
 * the server (RTCP and STUN are small and pass). A track composite records 30 s; the scenario prints one
 * JSON line ({@link LossyPathResult}) on stdout and exits.
 */
import { join } from 'node:path';
import { EgressStatus, EncodedFileOutput } from '@livekit/protocol';
import { startLiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture, waitForStatus } from '#bench/local-fixture.ts';
import { assertInVethNamespace, runScenarioMain } from '#bench/namespace-scenario.ts';
import { avSync, decodeErrors, freezes, mediaDuration } from '#bench/media-check.ts';
import { percentile } from '#bench/signal-analysis.ts';
import { startSyntheticPublisher } from '#bench/synthetic-publisher.ts';
import { runTool } from '#task/capture/run-tool.ts';
import { createLogger } from '#shared/logger.ts';
import { namespaceAddress, type LossyPathResult } from './result.ts';

const recordSeconds = 30;
const logger = createLogger({ component: 'lossy-path' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function iptables(args: string[]): Promise<string> {
  const { stdout } = await runTool('iptables', args, { logger, timeoutMs: 10_000 });
  return stdout;
}

/** Datagrams the rule dropped so far. */
async function dropped(): Promise<number> {
  const listing = await iptables(['-L', 'INPUT', '-v', '-n', '-x']);
  const line = listing.split('\n').find((l) => l.includes('DROP'));
  return Number(line?.trim().split(/\s+/)[0] ?? 'NaN');
}

async function main(): Promise<LossyPathResult> {
  assertInVethNamespace(namespaceAddress);
  const livekit = await startLiveKitServer();
  const local = await startLocalFixture(livekit);
  const join0 = { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret, room: 'lossy' };
  const video = { codec: 'vp8', width: 640, height: 360, bitrateKbps: 800 } as const;
  const publisher = await startSyntheticPublisher({ ...join0, identity: 'far', audio: true, video });
  try {
    // Media (RTP ≥ 300 bytes; audio packets are ~100–200 bytes, so the video takes the loss) to the server.
    const rule = ['-p', 'udp', '--dport', String(livekit.udpPort), '-m', 'length', '--length', '300:65535'];
    rule.push('-m', 'statistic', '--mode', 'random', '--probability', '0.05', '-j', 'DROP');
    await iptables(['-A', 'INPUT', ...rule]);
    await sleep(2_000);
    const started = await local.client.startTrackCompositeEgress(
      'lossy',
      new EncodedFileOutput({ filepath: 'lossy.mp4' }),
      {
        audioTrackId: publisher.audioTrackSid,
        videoTrackId: publisher.videoTrackSid,
      },
    );
    const active = await waitForStatus(local.client, started.egressId, EgressStatus.EGRESS_ACTIVE, 15_000);
    await sleep(recordSeconds * 1000);
    const stopping = await local.client.stopEgress(started.egressId);
    const done = await waitForStatus(local.client, started.egressId, EgressStatus.EGRESS_COMPLETE, 30_000);
    const file = join(local.outputDir, done.fileResults[0]?.filename ?? 'lossy.mp4');
    const sync = await avSync(file);
    return {
      status: 'EGRESS_COMPLETE',
      droppedDatagrams: await dropped(),
      wallS: Number((stopping.updatedAt - active.updatedAt) / 1_000_000n) / 1000,
      durationS: await mediaDuration(file),
      decodeErrors: (await decodeErrors(file)).length,
      freezes: (await freezes(file, { minDurationS: 1 })).map((f) => [f.start, f.end ?? -1]),
      pairs: sync.pairs.length,
      p95AbsMs: percentile(
        sync.pairs.map((p) => Math.abs(p.offsetMs)),
        95,
      ),
      medianMs: percentile(
        sync.pairs.map((p) => p.offsetMs),
        50,
      ),
    };
  } finally {
    await publisher.stop();
    await local.stop();
    await livekit.stop();
  }
}

await runScenarioMain(main);
