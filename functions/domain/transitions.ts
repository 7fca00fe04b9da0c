import { EgressStatus, type EgressInfo } from '@livekit/protocol';
import type { EgressRecord } from './egress-record.ts';
import { nowNanos } from './egress-record.ts';
import { canTransition, isTerminal } from './status.ts';

/** How long an ended record is kept before the store may expire it. */
export const endedRecordRetentionMs = 30 * 24 * 3600 * 1000;

/** A change of status, with what LiveKit records alongside it. */
export interface StatusChange {
  readonly status: EgressStatus;
  /** Error message (FAILED, ABORTED, LIMIT_REACHED). */
  readonly error?: string;
  /** HTTP-style `error_code` (400, 404, 412, 413, 503…). */
  readonly errorCode?: number;
  /** `details`, e.g. `End reason: StopEgress API`. */
  readonly details?: string;
  /** Further changes to the info (results…), applied to the copy before it is stored. */
  readonly patch?: (info: EgressInfo) => void;
}

/**
 * The record after `change`, or undefined when the state machine forbids it (the caller lost a race or the
 * egress already ended: nothing is written). Sets `updated_at`, `ended_at` for terminal states, and the
 * expiry of ended records.
 */
export function applyStatus(record: EgressRecord, change: StatusChange, nowMs: number): EgressRecord | undefined {
  if (!canTransition(record.info.status, change.status)) return undefined;
  const info = record.info.clone();
  info.status = change.status;
  info.updatedAt = nowNanos(nowMs);
  if (change.error !== undefined) info.error = change.error;
  if (change.errorCode !== undefined) info.errorCode = change.errorCode;
  if (change.details !== undefined) info.details = change.details;
  else if (change.status === EgressStatus.EGRESS_FAILED && info.details === '') info.details = 'End reason: Failure';
  change.patch?.(info);
  const terminal = isTerminal(change.status);
  if (terminal && info.endedAt === 0n) info.endedAt = nowNanos(nowMs);
  return {
    ...record,
    info,
    ...(terminal ? { expiresAt: nowMs + endedRecordRetentionMs } : {}),
  };
}
