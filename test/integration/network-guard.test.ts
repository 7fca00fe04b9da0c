import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNamespaceScenario } from '#bench/namespace-scenario.ts';
import { baitHostname } from './network-guard/site.ts';
import type { BaitHit, ScenarioResult } from './network-guard/result.ts';

/** Longer than the scenario's own bound (170 s), so the scenario reports its timeout first. */
const scenarioTimeoutMs = 200_000;

/**
 * The namespace: new network (only `lo`, up, with the bait addresses on it), mount (a private /etc/hosts
 * that names the bait) and PID namespaces. The scenario is PID 1 of the last, so when it exits — or is
 * SIGKILLed — the kernel kills every process it left (the task, Xvfb, Chromium, ffmpeg) and the
 * namespace with its addresses disappears. `set -e`: if any address cannot be added, nothing starts.
 */
const namespaceScript = [
  'set -e',
  'ip link set lo up',
  'ip addr add 169.254.170.2/32 dev lo',
  'ip addr add fd00:ec2::254/128 dev lo',
  'mount --bind "$1" /etc/hosts',
  'shift',
  'exec "$@"',
].join('\n');

async function runScenario(workDir: string): Promise<ScenarioResult> {
  const hosts = join(workDir, 'hosts');
  await writeFile(hosts, `127.0.0.1 localhost\n::1 localhost\n169.254.170.2 ${baitHostname}\n`);
  return runNamespaceScenario<ScenarioResult>({
    unshare: ['--net', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc'],
    setup: namespaceScript,
    setupArgs: [hosts],
    scenario: resolve('test/integration/network-guard/scenario.ts'),
    name: 'network-guard scenario',
    timeoutMs: scenarioTimeoutMs,
  });
}

/** Hits grouped by what arrived (which names the page's path), for a readable failure. */
function byPath(hits: readonly BaitHit[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const hit of hits) {
    const key = `${hit.listener} ${hit.first}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** The page's ICE servers are the bait's port 3478 (TCP and UDP); nothing else uses that port. */
const isWebRtc = (hit: BaitHit): boolean => hit.listener.endsWith(':3478');

describe('network guard, end to end in a network namespace with only loopback (real Chromium, ffmpeg)', () => {
  let workDir: string;
  let result: ScenarioResult;

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'ue-network-guard-'));
    result = await runScenario(workDir);
    console.info('network-guard scenario', JSON.stringify({ ...result, hits: byPath(result.hits) }));
  }, scenarioTimeoutMs + 20_000);

  afterAll(async () => {
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  });

  it('ran to the end, with the bait live inside the namespace (so a leak would be counted)', () => {
    expect(result.failure).toBeUndefined();
    expect(result.baitReachable).toBe(true);
    expect(result.baitAnswer).toContain('ASIABAIT');
  });

  it('rejects a web egress of http://169.254.170.2/ and of http://[fd00:ec2::254]/ with invalid_argument', () => {
    expect(result.rejections.webIpv4).toEqual({
      rejected: true,
      status: 400,
      code: 'invalid_argument',
      message: 'page url http://169.254.170.2 is not an allowed destination',
    });
    expect(result.rejections.webIpv6).toEqual({
      rejected: true,
      status: 400,
      code: 'invalid_argument',
      message: 'page url http://[fd00:ec2::254] is not an allowed destination',
    });
  });

  it('rejects a room composite whose custom_base_url is on 169.254.170.2', () => {
    expect(result.rejections.customBaseUrl).toEqual({
      rejected: true,
      status: 400,
      code: 'invalid_argument',
      message: 'page url http://169.254.170.2 is not an allowed destination',
    });
  });

  it('refuses them before anything connects: no record, no task, no bait connection', () => {
    expect(result.egressesAfterRejections).toBe(0);
    expect(byPath(result.hitsDuringRejections)).toEqual({});
  });

  it('records the page that tries every way to the bait: H.264 MP4, COMPLETE after StopEgress', () => {
    expect(result.recording).toMatchObject({
      status: 'EGRESS_COMPLETE',
      error: '',
      filename: 'guard/site.mp4',
      videoCodec: 'h264',
      audioCodec: 'aac',
    });
    expect(result.recording?.durationS).toBeGreaterThan(4);
  });

  it('keeps every HTTP(S), WebSocket, redirect and navigation attempt of the page away from the bait', () => {
    expect(result.missingAttempts).toEqual([]);
    for (const [key, outcome] of Object.entries(result.attempts)) {
      expect(outcome, key).not.toMatch(/ASIABAIT|^open$/);
    }
    expect(byPath(result.hits.filter((hit) => !isWebRtc(hit)))).toEqual({});
  });

  it("keeps the page's WebRTC (the bait as STUN and TURN server) away from the bait", () => {
    expect(result.attempts['webrtc']).toBeDefined();
    expect(byPath(result.hits.filter(isWebRtc))).toEqual({});
  });
});
