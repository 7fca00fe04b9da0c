import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EgressInfo, EgressStatus, TrackEgressRequest } from '@livekit/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileEgressStore } from '#adapters/local/file-store.ts';
import { newEgressId } from '#domain/egress-id.ts';
import { EgressError } from '#domain/errors.ts';
import { createLogger, registerSecret } from '#shared/logger.ts';
import { StatusReporter } from './status-reporter.ts';

const logger = createLogger({}, { level: 'error' });

describe('StatusReporter', () => {
  let dir: string;
  let store: FileEgressStore;
  let egressId: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ue-reporter-'));
    store = await new FileEgressStore(dir).init();
    egressId = newEgressId();
    const request = new TrackEgressRequest({
      roomName: 'r',
      trackId: 'TR_1',
      output: { case: 'websocketUrl', value: 'ws://127.0.0.1:9/x' },
    });
    await store.create({
      egressId,
      roomName: 'r',
      createdAt: Date.now(),
      version: 1,
      info: new EgressInfo({ egressId, roomName: 'r', status: EgressStatus.EGRESS_STARTING }),
      request: { case: 'track', value: request },
      desired: {},
      dispatch: { attempts: 0 },
    });
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each(['failed', 'aborted'] as const)(
    'masks a secret the task holds in the error it writes (%s): third-party messages may quote one',
    async (end) => {
      const token = `recorder-token-${egressId}`;
      registerSecret(token);
      const reporter = new StatusReporter(store, egressId, logger);
      const error = new EgressError(
        'unavailable',
        `page load error: net::ERR_FAILED at http://127.0.0.1:1/?token=${token}`,
      );
      await (end === 'failed' ? reporter.failed(error) : reporter.aborted(error));
      await reporter.flush();
      const info = (await store.get(egressId))!.info;
      expect(info.status).toBe(end === 'failed' ? EgressStatus.EGRESS_FAILED : EgressStatus.EGRESS_ABORTED);
      expect(info.error).toBe('page load error: net::ERR_FAILED at http://127.0.0.1:1/?token=***');
      expect(info.errorCode).toBe(503);
    },
  );
});
