import type { EgressRecord } from '#domain/egress-record.ts';

/** Filter of ListEgress; every set field must match. */
export interface EgressQuery {
  readonly roomName?: string;
  readonly egressId?: string;
  /** true: only records that are not terminal. */
  readonly active?: boolean;
}

/**
 * Where egress records live: DynamoDB in AWS, a file store in local mode.
 *
 * Every write is conditional. `create` fails if the id exists; `replace` writes only if the stored version
 * is still `expectedVersion`, so of two racing writers exactly one wins and the other changes nothing.
 */
export interface EgressStore {
  /** Stores a new record; throws `EgressError('already_exists')` if one with this id exists. */
  create(record: EgressRecord): Promise<void>;
  /**
   * The record, or undefined. `consistent: false` allows a read that may lag the latest write by a moment
   * (DynamoDB eventually consistent reads cost half): fine for polling, never for a read-modify-write.
   */
  get(egressId: string, options?: { readonly consistent?: boolean }): Promise<EgressRecord | undefined>;
  /** Writes `next` if the stored version equals `expectedVersion`; false if the condition failed. */
  replace(next: EgressRecord, expectedVersion: number): Promise<boolean>;
  /** Records matching `query`, newest first. */
  list(query: EgressQuery): Promise<EgressRecord[]>;
}
