/**
 * The network-guard acceptance scenario. Runs INSIDE a network namespace that has only `lo`, with the bait
 * addresses (169.254.170.2, fd00:ec2::254) added to it, started by `test/integration/network-guard.test.ts`:
 * nothing here can reach the host's network, and the bait addresses exist nowhere else. Prints one JSON
 * line ({@link ScenarioResult}) on stdout and exits.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { EgressStatus, EncodedFileOutput } from '@livekit/protocol';
import { ServerError, type EgressClient } from 'livekit-server-sdk';
import type { LiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture, waitForStatus, type LocalFixture } from '#bench/local-fixture.ts';
import { probe } from '#bench/media-check.ts';
import { statusName } from '#domain/status.ts';
import { baitIpv4, baitIpv6, startBait, type Bait } from './bait.ts';
import type { BaitHit, RecordingResult, Rejection, ScenarioResult } from './result.ts';
import { attemptKeys, startSite, type Site } from './site.ts';

const startedAt = Date.now();
/** The whole scenario's bound; the outer test's is longer, so this one reports first. */
const scenarioTimeoutMs = 170_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Refuses to run outside the namespace the outer test made: only `lo`, holding both bait addresses. Run
 * anywhere else, the bait would not bind and the page's requests could leave the machine.
 */
function assertIsolated(): void {
  const interfaces = networkInterfaces();
  const names = Object.keys(interfaces);
  const lo = (interfaces['lo'] ?? []).map((a) => a.address);
  if (names.join() !== 'lo' || !lo.includes(baitIpv4) || !lo.includes(baitIpv6)) {
    throw new Error(`not in the test's network namespace (interfaces ${names.join()}; lo ${lo.join()})`);
  }
}

/** Reads the bait from this process, to prove the address is live here (and so that the test can fail). */
function readBait(): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: baitIpv4, port: 80, path: '/self-check', timeout: 2_000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('timeout', () => req.destroy(new Error('bait did not answer')));
    req.on('error', reject);
    req.end();
  });
}

async function rejection(call: () => Promise<unknown>): Promise<Rejection> {
  try {
    await call();
    return { rejected: false, status: undefined, code: undefined, message: 'accepted' };
  } catch (err) {
    if (err instanceof ServerError) return { rejected: true, status: err.status, code: err.code, message: err.message };
    return { rejected: true, status: undefined, code: undefined, message: String(err) };
  }
}

/** The three requests the API must refuse before anything connects. */
async function refusals(client: EgressClient): Promise<ScenarioResult['rejections']> {
  const file = (name: string): EncodedFileOutput => new EncodedFileOutput({ filepath: `refused/${name}` });
  return {
    webIpv4: await rejection(() => client.startWebEgress(`http://${baitIpv4}/`, file('v4'))),
    webIpv6: await rejection(() => client.startWebEgress(`http://[${baitIpv6}]/`, file('v6'))),
    customBaseUrl: await rejection(() =>
      client.startRoomCompositeEgress('guard', file('template'), { customBaseUrl: `http://${baitIpv4}/` }),
    ),
  };
}

/** Waits until the page reported every attempt, or `timeoutMs` passed. */
async function pageReports(site: Site, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && attemptKeys.some((key) => !site.attempts.has(key))) await sleep(200);
}

/** A web egress of the site page: ~5 s (longer while the page still tries), StopEgress, then the file. */
async function record(local: LocalFixture, site: Site): Promise<RecordingResult> {
  const { client } = local;
  const info = await client.startWebEgress(`${site.url}/`, new EncodedFileOutput({ filepath: 'guard/site.mp4' }));
  await waitForStatus(client, info.egressId, EgressStatus.EGRESS_ACTIVE, 60_000);
  await sleep(5_000);
  await pageReports(site, 15_000);
  await client.stopEgress(info.egressId);
  const done = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_COMPLETE, 45_000).catch(
    async () => (await client.listEgress({ egressId: info.egressId }))[0],
  );
  const filename = done?.fileResults[0]?.filename;
  const probed =
    filename === undefined ? undefined : await probe(join(local.outputDir, filename)).catch(() => undefined);
  return {
    egressId: info.egressId,
    status: done === undefined ? 'not found' : statusName(done.status),
    error: done?.error ?? '',
    filename,
    videoCodec: probed?.video?.codec,
    audioCodec: probed?.audio?.codec,
    durationS: probed?.durationS,
  };
}

interface Progress {
  baitReachable: boolean;
  baitAnswer: string;
  rejections: ScenarioResult['rejections'] | undefined;
  egressesAfterRejections: number;
  hitsDuringRejections: readonly BaitHit[];
  recording: RecordingResult | undefined;
}

/** No LiveKit server: a web egress joins no room, and nothing listens on port 9 (connections are refused). */
const noLiveKit: LiveKitServer = {
  url: 'ws://127.0.0.1:9',
  httpUrl: 'http://127.0.0.1:9',
  apiKey: `API${randomBytes(6).toString('hex')}`,
  apiSecret: randomBytes(24).toString('base64url'),
  udpPort: 9,
  stop: () => Promise.resolve(),
};

async function run(progress: Progress, parts: { bait?: Bait; site?: Site; local?: LocalFixture }): Promise<void> {
  assertIsolated();
  const bait = (parts.bait = await startBait(startedAt));
  progress.baitAnswer = await readBait();
  progress.baitReachable = bait.hits.length === 1;
  bait.reset();
  const site = (parts.site = await startSite());
  const local = (parts.local = await startLocalFixture(noLiveKit));
  progress.rejections = await refusals(local.client);
  progress.egressesAfterRejections = (await local.client.listEgress()).length;
  progress.hitsDuringRejections = [...bait.hits];
  progress.recording = await record(local, site);
}

let printed = false;

/** Prints the result line once; the stdout write is flushed before the process exits. */
function finish(result: ScenarioResult, code: number): void {
  if (printed) return;
  printed = true;
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(code));
}

async function main(): Promise<void> {
  const progress: Progress = {
    baitReachable: false,
    baitAnswer: '',
    rejections: undefined,
    egressesAfterRejections: -1,
    hitsDuringRejections: [],
    recording: undefined,
  };
  const parts: { bait?: Bait; site?: Site; local?: LocalFixture } = {};
  const result = (failure: string | undefined): ScenarioResult => {
    const attempts = Object.fromEntries(parts.site?.attempts ?? []);
    const rejections = progress.rejections ?? {
      webIpv4: { rejected: false, status: undefined, code: undefined, message: 'not tried' },
      webIpv6: { rejected: false, status: undefined, code: undefined, message: 'not tried' },
      customBaseUrl: { rejected: false, status: undefined, code: undefined, message: 'not tried' },
    };
    return {
      ...progress,
      rejections,
      attempts,
      missingAttempts: attemptKeys.filter((key) => attempts[key] === undefined),
      hits: [...(parts.bait?.hits ?? [])],
      failure,
      elapsedMs: Date.now() - startedAt,
    };
  };
  // This process is PID 1 of its PID namespace: SIGTERM has no default action here, so handle it.
  process.once('SIGTERM', () => finish(result('stopped by SIGTERM'), 1));
  setTimeout(() => finish(result(`scenario timed out after ${scenarioTimeoutMs} ms`), 1), scenarioTimeoutMs).unref();
  let failure: string | undefined;
  try {
    await run(progress, parts);
  } catch (err) {
    failure = err instanceof Error ? (err.stack ?? err.message) : String(err);
  }
  // Stopping the system stops its tasks; when this process exits, the kernel kills whatever is left in
  // the namespace, so a stop that hangs only delays the line, bounded by the timer above.
  await parts.local?.stop().catch(() => undefined);
  await parts.site?.close();
  const final = result(failure);
  await parts.bait?.close();
  finish(final, failure === undefined ? 0 : 1);
}

await main();
