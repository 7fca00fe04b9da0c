import { isEgressId } from './egress-id.ts';

/** The only message the jobs queue carries: the table is the source of truth (design decision 3). */
export interface EgressJob {
  readonly egressId: string;
}

/** Parses a queue message body; the one schema shared by producer and consumer. Throws on anything else. */
export function parseEgressJob(body: string): EgressJob {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    throw new Error('job message is not JSON', { cause: err });
  }
  if (typeof value !== 'object' || value === null) throw new Error('job message is not an object');
  const egressId = (value as { egressId?: unknown }).egressId;
  if (typeof egressId !== 'string' || !isEgressId(egressId)) throw new Error('job message has no valid egressId');
  return { egressId };
}
