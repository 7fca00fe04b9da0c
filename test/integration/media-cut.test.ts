import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNamespaceScenario, vethNamespaceSetup } from '#bench/namespace-scenario.ts';
import { namespaceAddress, type MediaCutResult } from './media-cut/result.ts';

/**
 * Issue 9's media cut, in a new network namespace with only `lo` and a veth pair of its own (and a PID
 * namespace, so whatever the scenario leaves dies with it): the iptables rule that drops the tasks' UDP for
 * 10 s exists only there.
 */
describe('track egresses ride out a 10 s cut of their media path (UDP dropped in a namespace)', () => {
  it('both files continue after the cut: one playable file each, the outage a gap in time', async () => {
    const result = await runNamespaceScenario<MediaCutResult>({
      unshare: ['--net', '--pid', '--fork', '--kill-child', '--mount', '--mount-proc'],
      setup: vethNamespaceSetup(namespaceAddress),
      scenario: resolve('test/integration/media-cut/scenario.ts'),
      name: 'media-cut scenario',
      timeoutMs: 180_000,
    });
    console.log(JSON.stringify(result));
    expect(result.status).toBe('done');
    expect(result.droppedDatagrams).toBeGreaterThan(100);
    for (const file of result.files ?? []) {
      expect(file.status, `${file.kind}: ${file.error}`).toBe('EGRESS_COMPLETE');
      expect(file.decodeErrors, file.kind).toBe(0);
      // The outage stays a gap in time: the file is as long as the wall clock, the gap about the cut.
      expect(
        Math.abs(file.durationS - file.wallS),
        `${file.kind}: ${file.durationS} vs ${file.wallS}`,
      ).toBeLessThanOrEqual(0.5);
      expect(file.gapS, file.kind).toBeLessThanOrEqual((result.cutS ?? 0) + 3);
    }
    expect(result.files).toHaveLength(2);
  }, 200_000);
});
