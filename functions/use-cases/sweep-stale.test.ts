import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EgressInfo, EgressStatus, TrackEgressRequest } from '@livekit/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileEgressStore } from '#adapters/local/file-store.ts';
import { InProcessQueue } from '#adapters/local/in-process-queue.ts';
import { newEgressId } from '#domain/egress-id.ts';
import type { EgressRecord } from '#domain/egress-record.ts';
import type { EgressJob } from '#ports/job-queue.ts';
import { createLogger } from '#shared/logger.ts';
import { lostDispatchMs, stopFallbackMs, sweepStale } from './sweep-stale.ts';

const logger = createLogger({}, { level: 'error' });

function record(
  createdAt: number,
  patch: Partial<EgressRecord> = {},
  status = EgressStatus.EGRESS_STARTING,
): EgressRecord {
  const request = new TrackEgressRequest({
    roomName: 'r',
    trackId: 'TR_1',
    output: { case: 'websocketUrl', value: 'ws://127.0.0.1:9/x' },
  });
  const egressId = newEgressId();
  return {
    egressId,
    roomName: 'r',
    createdAt,
    version: 1,
    info: new EgressInfo({ egressId, roomName: 'r', status }),
    request: { case: 'track', value: request },
    desired: {},
    dispatch: { attempts: 0 },
    ...patch,
  };
}

describe('the periodic sweep', () => {
  let dir: string;
  let store: FileEgressStore;
  let queued: EgressJob[];
  let queue: InProcessQueue;
  let stopped: string[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ue-sweep-'));
    store = await new FileEgressStore(dir).init();
    queued = [];
    queue = new InProcessQueue({
      consumer: (job) => {
        queued.push(job);
        return Promise.resolve('dropped');
      },
      logger,
    });
    stopped = [];
  });

  afterEach(async () => {
    await queue.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('re-queues only STARTING egresses whose dispatch was lost, and stops only tasks that ignore StopEgress', async () => {
    const now = 10_000_000;
    const lost = record(now - lostDispatchMs - 1);
    const fresh = record(now - 1_000);
    const launching = record(now - lostDispatchMs - 1, { dispatch: { attempts: 1, launchingSince: now - 1_000 } });
    const running = record(now - lostDispatchMs - 1, { dispatch: { attempts: 1, taskId: 'task-a' } });
    const ignoring = record(
      now - 10 * 60_000,
      {
        desired: { stop: { reason: 'StopEgress API', at: now - stopFallbackMs - 1 } },
        dispatch: { attempts: 1, taskId: 'task-b' },
      },
      EgressStatus.EGRESS_ENDING,
    );
    const stopping = record(
      now - 10 * 60_000,
      { desired: { stop: { reason: 'StopEgress API', at: now - 1_000 } }, dispatch: { attempts: 1, taskId: 'task-c' } },
      EgressStatus.EGRESS_ENDING,
    );
    const ended = record(now - lostDispatchMs - 1, {}, EgressStatus.EGRESS_FAILED);
    for (const r of [lost, fresh, launching, running, ignoring, stopping, ended]) await store.create(r);

    const result = await sweepStale({
      store,
      queue,
      launcher: { stop: (taskId) => Promise.resolve(void stopped.push(taskId)) },
      logger,
      now: () => now,
    });
    await queue.close();
    expect(result).toEqual({ requeued: 1, stopped: 1 });
    expect(queued).toEqual([{ egressId: lost.egressId }]);
    expect(stopped).toEqual(['task-b']);
  });
});
