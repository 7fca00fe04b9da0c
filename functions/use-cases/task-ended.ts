import { EgressStatus, FileInfo, type EgressInfo } from '@livekit/protocol';
import { nowNanos, type EgressRecord, type OpenUpload } from '#domain/egress-record.ts';
import { outputStorages, resolvePlan } from '#domain/request/plan.ts';
import type { StorageSpec } from '#domain/request/storage.ts';
import type { StoredObject } from '#ports/object-storage.ts';
import type { UploadRecovery } from '#ports/upload-recovery.ts';
import { isTerminal } from '#domain/status.ts';
import { applyStatus } from '#domain/transitions.ts';
import type { EgressStore } from '#ports/egress-store.ts';
import type { Logger } from '#shared/logger.ts';
import { updateRecord } from './update-record.ts';

export interface TaskEnd {
  readonly egressId: string;
  readonly taskId: string;
  /** Why the task stopped, for the egress error ("exit code 137", ECS stoppedReason…). */
  readonly reason: string;
}

/**
 * Reconciles a task that has stopped: if its egress is still open, the task died without finishing it, so
 * the egress becomes FAILED with the reason. A task that is not (or no longer) the egress's task changes
 * nothing. Returns whether the record was failed.
 */
export async function taskEnded(
  deps: { store: EgressStore; logger: Logger; uploads?: UploadRecovery; now?: () => number },
  end: TaskEnd,
): Promise<boolean> {
  const now = deps.now?.() ?? Date.now();
  const recovered = await recoverUploads(deps, end);
  const outcome = await updateRecord(deps.store, end.egressId, (current) => {
    if (isTerminal(current.info.status)) return undefined;
    const owner = current.dispatch.taskId;
    if (owner !== undefined && owner !== end.taskId) return undefined;
    return applyStatus(
      current,
      {
        status: EgressStatus.EGRESS_FAILED,
        error: `egress task stopped unexpectedly: ${end.reason}`,
        errorCode: 500,
        ...(recovered.length === 0 ? {} : { patch: keepFiles(recovered, nowNanos(now)) }),
      },
      now,
    );
  });
  const failed = outcome?.changed ?? false;
  if (failed) deps.logger.warn('egress failed: its task stopped', { egressId: end.egressId, reason: end.reason });
  return failed;
}

/** Completes the uploads of an open record owned by the stopped task, so its recorded bytes are kept. */
async function recoverUploads(
  deps: { store: EgressStore; logger: Logger; uploads?: UploadRecovery },
  end: TaskEnd,
): Promise<StoredObject[]> {
  if (deps.uploads === undefined) return [];
  const record = await deps.store.get(end.egressId);
  if (record === undefined || isTerminal(record.info.status)) return [];
  const owner = record.dispatch.taskId;
  if (owner !== undefined && owner !== end.taskId) return [];
  const out: StoredObject[] = [];
  for (const upload of record.dispatch.uploads ?? []) {
    try {
      const storage = upload.requestStorage === true ? requestStorageOf(record, upload) : undefined;
      if (upload.requestStorage === true && storage === undefined) {
        deps.logger.error('upload recovery skipped: no output of the request writes to its bucket', {
          egressId: end.egressId,
          key: upload.key,
        });
        continue;
      }
      const stored = await deps.uploads.recover(upload, storage);
      if (stored !== undefined) out.push(stored);
      deps.logger.info('upload of a stopped task recovered', {
        egressId: end.egressId,
        key: upload.key,
        size: stored?.size,
      });
    } catch (err) {
      deps.logger.error('upload recovery failed', { egressId: end.egressId, key: upload.key, err });
    }
  }
  return out;
}

/**
 * The storage settings of the output an upload to a request's own S3Upload belongs to, from the stored
 * request (the record keeps no copy of them): the output whose bucket it is.
 */
function requestStorageOf(record: EgressRecord, upload: OpenUpload): StorageSpec | undefined {
  return outputStorages(resolvePlan(record.request).outputs).find((spec) => spec.bucket === upload.bucket);
}

/** File results for what was recovered (durations unknown: the task died before measuring them). */
function keepFiles(objects: readonly StoredObject[], endedAt: bigint) {
  return (info: EgressInfo): void => {
    const byName = new Map(info.fileResults.map((f) => [f.filename, f]));
    info.fileResults = objects.map((o) => {
      const file = byName.get(o.key)?.clone() ?? new FileInfo();
      file.filename = o.key;
      file.location = o.location;
      file.size = BigInt(o.size);
      file.endedAt = endedAt;
      return file;
    });
  };
}
