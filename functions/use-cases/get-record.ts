import type { EgressRecord } from '#domain/egress-record.ts';
import { isEgressId } from '#domain/egress-id.ts';
import { EgressError, invalidField } from '#domain/errors.ts';
import type { EgressStore } from '#ports/egress-store.ts';

/** The record of `egressId`, or the Twirp errors LiveKit gives: invalid field for a bad id, not found. */
export async function getRecord(store: EgressStore, egressId: string): Promise<EgressRecord> {
  checkEgressId(egressId);
  const record = await store.get(egressId);
  if (record === undefined) throw new EgressError('not_found', 'egress not found');
  return record;
}

/** LiveKit's answers for an id that cannot name an egress: invalid field when empty, else not found. */
export function checkEgressId(egressId: string): void {
  if (egressId === '') throw invalidField('egress_id');
  if (!isEgressId(egressId)) throw new EgressError('not_found', 'egress not found');
}
