import { EgressStatus } from '@livekit/protocol';
import { AbortedBeforeStartError, EgressError, toEgressError } from '#domain/errors.ts';
import type { EgressRecord, OpenUpload } from '#domain/egress-record.ts';
import { resolvePlan } from '#domain/request/plan.ts';
import { isTerminal, statusName } from '#domain/status.ts';
import type { EgressStore } from '#ports/egress-store.ts';
import { registerSecret, type Logger } from '#shared/logger.ts';
import { updateRecord } from '#use-cases/update-record.ts';
import type { Pipeline, PipelineContext } from '../pipelines/pipeline.ts';
import type { StorageResolver } from '../outputs/storage-resolver.ts';
import { recorderToken } from '../sources/recorder-token.ts';
import { ControlPoller } from './control-poller.ts';
import { StatusReporter } from './status-reporter.ts';

export interface SessionDeps {
  readonly store: EgressStore;
  readonly logger: Logger;
  readonly egressId: string;
  readonly taskId: string;
  readonly livekitUrl: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** How long a broken room connection is tried to be got back, ms. */
  readonly reconnectWindowMs: number;
  /** Builds the pipeline for a plan (one factory, chosen by request type and outputs). */
  readonly createPipeline: (context: PipelineContext) => Promise<Pipeline>;
  /** Output storage; `onUploadOpen` hears of every recoverable upload the task opens. */
  readonly storage: (onUploadOpen: (upload: OpenUpload) => void) => StorageResolver;
  /** Aborted when the process is asked to stop (SIGTERM): outputs are finished, then the task exits. */
  readonly shutdown: AbortSignal;
}

/**
 * One egress, start to end: claims the record, runs the pipeline, reports ACTIVE / ENDING / COMPLETE or
 * FAILED, and reacts to StopEgress (polled from the record) and SIGTERM. Resolves with the exit code.
 */
export async function runEgressSession(deps: SessionDeps): Promise<number> {
  const log = deps.logger;
  const record = await claim(deps);
  if (record === undefined) return 0;
  const reporter = new StatusReporter(deps.store, deps.egressId, log);
  let pipeline: Pipeline | undefined;
  let poller: ControlPoller | undefined;
  const onShutdown = (): void => pipeline?.stop('Process killed');
  try {
    const plan = resolvePlan(record.request);
    const token = await recorderToken(deps.apiKey, deps.apiSecret, deps.egressId, plan.roomName);
    // Masked in every log line from here on: it sits in the template page's URL, which Chromium may print.
    registerSecret(token);
    pipeline = await deps.createPipeline({
      egressId: deps.egressId,
      plan,
      request: record.request,
      logger: log,
      livekitUrl: deps.livekitUrl,
      token,
      reconnectWindowMs: deps.reconnectWindowMs,
      storage: deps.storage((upload) => void reporter.recordUpload(upload)),
      onActive: (patch, atMs) => void reporter.active(patch, atMs),
      onUpdate: (patch) => void reporter.update(patch),
      onEnding: (reason) => void reporter.ending(reason),
    });
    const running = pipeline;
    poller = new ControlPoller(
      deps.store,
      deps.egressId,
      {
        onStop: (atMs) => running.stop('StopEgress API', atMs),
        onEnded: () => running.stop('Aborted'),
        onStreamUrls: (urls) => running.updateStreamUrls?.(urls),
      },
      log,
    );
    poller.start();
    if (deps.shutdown.aborted) onShutdown();
    deps.shutdown.addEventListener('abort', onShutdown, { once: true });
    const end = await running.run();
    if (end.failure !== undefined) {
      log.error('egress failed; outputs finalised', { error: end.failure.message, code: end.failure.code });
      await reporter.failed(end.failure, end.patch);
      await reporter.flush();
      return 1;
    }
    await (end.reason === 'Session limit reached'
      ? reporter.limitReached(end.patch)
      : reporter.complete(end.reason, end.patch));
    await reporter.flush();
    log.info('egress finished', { reason: end.reason });
    return 0;
  } catch (err) {
    const error = toEgressError(err, 'egress failed: internal error');
    log.error('egress failed', {
      error: error.message,
      code: error.code,
      err: error.fault === 'internal' ? err : undefined,
    });
    await (error instanceof AbortedBeforeStartError ? reporter.aborted(error) : reporter.failed(error));
    await reporter.flush();
    return 1;
  } finally {
    poller?.stop();
    deps.shutdown.removeEventListener('abort', onShutdown);
  }
}

/**
 * Takes ownership of the record: a STARTING record not yet claimed. Returns undefined (exit quietly) when
 * the egress already ended (aborted before the task started) or another task owns it.
 */
async function claim(deps: SessionDeps): Promise<EgressRecord | undefined> {
  const outcome = await updateRecord(deps.store, deps.egressId, (current) => {
    if (current.info.status !== EgressStatus.EGRESS_STARTING || current.dispatch.claimedAt !== undefined) {
      return undefined;
    }
    return { ...current, dispatch: { ...current.dispatch, claimedAt: Date.now() } };
  });
  if (outcome === undefined) throw new EgressError('not_found', `egress ${deps.egressId} not found`);
  if (!outcome.changed) {
    const status = outcome.record.info.status;
    deps.logger.info('nothing to do: egress already claimed or ended', {
      status: statusName(status),
      ended: isTerminal(status),
    });
    return undefined;
  }
  deps.logger.info('egress claimed', { taskId: deps.taskId });
  return outcome.record;
}
