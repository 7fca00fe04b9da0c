/**
 * The media-cut scenario. Runs INSIDE a network namespace that has only `lo` and a veth pair of its own,
 * started by `test/integration/media-cut.test.ts`: a LiveKit server, the local system and a synthetic
 * publisher. Two track egresses (VP8 and Opus files) record; then an iptables rule of this namespace drops
 * every UDP datagram between 127.0.0.1 and 127.0.0.1 for 10 s: the tasks' media path (their subscribers
 * bind 127.0.0.1), not the publisher's (it sends from the veth address), not the signalling (TCP). The
 * scenario prints one JSON line ({@link MediaCutResult}) on stdout and exits.
 */
import { EgressStatus, DirectFileOutput } from '@livekit/protocol';
import { startLiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture, waitForStatus } from '#bench/local-fixture.ts';
import { decodeErrors, largestPacketGap, mediaDuration } from '#bench/media-check.ts';
import { assertInVethNamespace, runScenarioMain } from '#bench/namespace-scenario.ts';
import { startSyntheticPublisher } from '#bench/synthetic-publisher.ts';
import { runTool } from '#task/capture/run-tool.ts';
import { createLogger } from '#shared/logger.ts';
import { namespaceAddress, type MediaCutFile, type MediaCutResult } from './result.ts';

const cutSeconds = 10;
const logger = createLogger({ component: 'media-cut' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const rule = ['-p', 'udp', '-s', '127.0.0.1', '-d', '127.0.0.1', '-j', 'DROP'];

async function iptables(args: string[]): Promise<string> {
  const { stdout } = await runTool('iptables', args, { logger, timeoutMs: 10_000 });
  return stdout;
}

async function dropped(): Promise<number> {
  const listing = await iptables(['-L', 'INPUT', '-v', '-n', '-x']);
  const line = listing.split('\n').find((l) => l.includes('DROP'));
  return Number(line?.trim().split(/\s+/)[0] ?? 'NaN');
}

async function main(): Promise<MediaCutResult> {
  assertInVethNamespace(namespaceAddress);
  const livekit = await startLiveKitServer();
  const local = await startLocalFixture(livekit);
  const room = 'media-cut';
  const join0 = { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret, room };
  const video = { codec: 'vp8', width: 320, height: 180, bitrateKbps: 300 } as const;
  const publisher = await startSyntheticPublisher({ ...join0, identity: 'speaker', audio: true, video });
  try {
    const kinds = ['video', 'audio'] as const;
    const started = await Promise.all(
      kinds.map((kind) =>
        local.client.startTrackEgress(
          room,
          new DirectFileOutput({ filepath: `cut-${kind}` }),
          kind === 'video' ? publisher.videoTrackSid! : publisher.audioTrackSid!,
        ),
      ),
    );
    const ids = started.map((s) => s.egressId);
    const active = await Promise.all(
      ids.map((id) => waitForStatus(local.client, id, EgressStatus.EGRESS_ACTIVE, 15_000)),
    );
    await sleep(5_000);
    await iptables(['-A', 'INPUT', ...rule]);
    await sleep(cutSeconds * 1000);
    const droppedDatagrams = await dropped();
    await iptables(['-D', 'INPUT', ...rule]);
    await sleep(10_000);
    const stopping = await Promise.all(ids.map((id) => local.client.stopEgress(id)));
    const files: MediaCutFile[] = [];
    for (const [n, kind] of kinds.entries()) {
      const done = await waitForStatus(local.client, ids[n]!, EgressStatus.EGRESS_COMPLETE, 20_000).catch(
        async () => (await local.client.listEgress({ egressId: ids[n]! }))[0]!,
      );
      const location = done.fileResults[0]?.location ?? '';
      files.push({
        kind,
        status: EgressStatus[done.status] ?? String(done.status),
        error: done.error,
        wallS: Number((stopping[n]!.updatedAt - active[n]!.updatedAt) / 1_000_000n) / 1000,
        durationS: location === '' ? 0 : await mediaDuration(location),
        decodeErrors: location === '' ? -1 : (await decodeErrors(location)).length,
        gapS: location === '' ? -1 : await largestPacketGap(location, kind),
      });
    }
    return { status: 'done', droppedDatagrams, cutS: cutSeconds, files };
  } finally {
    await publisher.stop();
    await local.stop();
    await livekit.stop();
  }
}

await runScenarioMain(main);
