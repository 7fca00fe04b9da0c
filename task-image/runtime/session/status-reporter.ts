import { EgressStatus } from '@livekit/protocol';
import type { EgressRecord, OpenUpload } from '#domain/egress-record.ts';
import type { EgressError } from '#domain/errors.ts';
import { isTerminal, statusName } from '#domain/status.ts';
import { applyStatus, type StatusChange } from '#domain/transitions.ts';
import type { EgressStore } from '#ports/egress-store.ts';
import { maskSecrets, type Logger } from '#shared/logger.ts';
import { updateRecord } from '#use-cases/update-record.ts';
import type { EndReason, InfoPatch } from '../pipelines/pipeline.ts';

/**
 * The task's writer of its egress record. Writes are serialized in call order (so ACTIVE is never written
 * after COMPLETE), each is a conditional update checked by the state machine, and a write the state machine
 * refuses (the API aborted or ended the egress meanwhile) changes nothing.
 */
export class StatusReporter {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: EgressStore,
    private readonly egressId: string,
    private readonly logger: Logger,
  ) {}

  /**
   * STARTING → ACTIVE. `atMs`: when the egress became active (its first media), for `updated_at`, so a
   * slow store write does not move it (clamped to the record's last update).
   */
  active(patch?: InfoPatch, atMs?: number): Promise<EgressRecord | undefined> {
    return this.write({ status: EgressStatus.EGRESS_ACTIVE, ...(patch === undefined ? {} : { patch }) }, atMs);
  }

  /** Results changed; the status stays what it is (ACTIVE or ENDING). */
  update(patch: InfoPatch): Promise<EgressRecord | undefined> {
    return this.enqueue((current) => applyStatus(current, { status: current.info.status, patch }, Date.now()));
  }

  /** ACTIVE → ENDING (a no-op when the API already wrote ENDING). */
  ending(reason: EndReason): Promise<EgressRecord | undefined> {
    return this.enqueue((current) => {
      if (current.info.status === EgressStatus.EGRESS_ENDING) return undefined;
      return applyStatus(current, { status: EgressStatus.EGRESS_ENDING, details: `End reason: ${reason}` }, Date.now());
    }, 'EGRESS_ENDING');
  }

  /** → COMPLETE through ENDING, with the final results. */
  async complete(reason: EndReason, patch: InfoPatch): Promise<EgressRecord | undefined> {
    await this.ending(reason);
    return this.write({ status: EgressStatus.EGRESS_COMPLETE, details: `End reason: ${reason}`, patch });
  }

  /** → LIMIT_REACHED (413) through ENDING: the session limit ended it, every output was still finalised. */
  async limitReached(patch: InfoPatch): Promise<EgressRecord | undefined> {
    await this.ending('Session limit reached');
    return this.write({
      status: EgressStatus.EGRESS_LIMIT_REACHED,
      error: 'Session limit reached',
      errorCode: 413,
      details: 'End reason: Session limit reached',
      patch,
    });
  }

  /** → FAILED with the error's message and code; results so far are kept. */
  failed(error: EgressError, patch?: InfoPatch): Promise<EgressRecord | undefined> {
    return this.write({
      status: EgressStatus.EGRESS_FAILED,
      error: error.message,
      errorCode: error.egressErrorCode,
      ...(patch === undefined ? {} : { patch }),
    });
  }

  /** STARTING → ABORTED (412): stopped before the pipeline started. */
  aborted(error: EgressError): Promise<EgressRecord | undefined> {
    return this.write({ status: EgressStatus.EGRESS_ABORTED, error: error.message, errorCode: error.egressErrorCode });
  }

  /** Records an upload the task opened, so the reconciler can finish it if the task dies. */
  recordUpload(upload: OpenUpload): Promise<EgressRecord | undefined> {
    return this.enqueue((current) => {
      if (isTerminal(current.info.status)) return undefined;
      const uploads = [...(current.dispatch.uploads ?? []), upload];
      return { ...current, dispatch: { ...current.dispatch, uploads } };
    }, 'upload recorded');
  }

  /** Waits for every write queued so far. */
  async flush(): Promise<void> {
    await this.chain.catch(() => undefined);
  }

  /**
   * Every change of the record goes through here. An error message can quote a third party (puppeteer,
   * ffmpeg, a storage SDK) that printed a secret the task holds: it is masked like a log line.
   */
  private write(raw: StatusChange, atMs?: number): Promise<EgressRecord | undefined> {
    const change = raw.error === undefined ? raw : { ...raw, error: maskSecrets(raw.error) };
    return this.enqueue((current) => {
      const last = Number(current.info.updatedAt / 1_000_000n);
      return applyStatus(current, change, atMs === undefined ? Date.now() : Math.max(atMs, last));
    }, statusName(change.status));
  }

  private enqueue(
    mutate: (current: EgressRecord) => EgressRecord | undefined,
    label = 'update',
  ): Promise<EgressRecord | undefined> {
    const next = this.chain.then(async () => {
      const outcome = await updateRecord(this.store, this.egressId, mutate);
      if (outcome === undefined) return undefined;
      if (outcome.changed) this.logger.info(`egress ${label}`, { status: statusName(outcome.record.info.status) });
      else this.logger.debug(`${label} not written: egress is ${statusName(outcome.record.info.status)}`);
      return outcome.changed ? outcome.record : undefined;
    });
    this.chain = next.catch((err: unknown) => {
      this.logger.error('status write failed', { err });
    });
    return next;
  }
}
