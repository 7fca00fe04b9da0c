import type { EgressRecord } from '#domain/egress-record.ts';
import { EgressError } from '#domain/errors.ts';
import type { EgressStore } from '#ports/egress-store.ts';

/** Computes the next record from the current one, or undefined to write nothing. */
export type RecordMutation = (current: EgressRecord) => EgressRecord | undefined;

export interface UpdateOutcome {
  /** The record as stored after the update (the current one when nothing was written). */
  readonly record: EgressRecord;
  readonly changed: boolean;
}

const maxAttempts = 20;

/**
 * Optimistic read-modify-write: reads the record, applies `mutate`, writes conditionally on the version it
 * read, and on a lost race reads again and re-applies — so the state machine is checked against the record
 * actually replaced. Returns undefined when the record does not exist.
 */
export async function updateRecord(
  store: EgressStore,
  egressId: string,
  mutate: RecordMutation,
): Promise<UpdateOutcome | undefined> {
  for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
    const current = await store.get(egressId);
    if (current === undefined) return undefined;
    const next = mutate(current);
    if (next === undefined) return { record: current, changed: false };
    const stored = { ...next, version: current.version + 1 };
    if (await store.replace(stored, current.version)) return { record: stored, changed: true };
  }
  throw new EgressError('unavailable', `egress ${egressId} is being updated by too many writers; try again`);
}
