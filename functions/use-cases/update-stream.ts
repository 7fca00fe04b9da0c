import type { EgressInfo, UpdateStreamRequest } from '@livekit/protocol';
import { EgressError } from '#domain/errors.ts';
import { resolvePlan } from '#domain/request/plan.ts';
import { validateStreamUrl } from '#domain/request/stream-url.ts';
import { isTerminal, statusName } from '#domain/status.ts';
import type { ApiDeps } from './api-deps.ts';
import { getRecord } from './get-record.ts';
import { updateRecord } from './update-record.ts';

/**
 * UpdateStream: adds and removes stream URLs of a running egress. The new set is written as desired state;
 * the task polls it and starts or stops each URL's output without touching the others.
 */
export async function updateStream(deps: ApiDeps, request: UpdateStreamRequest): Promise<EgressInfo> {
  const record = await getRecord(deps.store, request.egressId);
  const stream = resolvePlan(record.request).outputs.stream;
  if (stream === undefined || stream.protocol === 'websocket') {
    throw new EgressError('invalid_argument', 'UpdateStream called on non-streaming egress');
  }
  const added = request.addOutputUrls.map((url) => validateStreamUrl(url, stream.protocol).url);
  const removed = new Set(request.removeOutputUrls.map((url) => validateStreamUrl(url, stream.protocol).url));
  const outcome = await updateRecord(deps.store, request.egressId, (current) => {
    if (isTerminal(current.info.status)) return undefined;
    const urls = current.desired.streamUrls ?? stream.urls.map((u) => u.url);
    const next = [...urls.filter((u) => !removed.has(u)), ...added.filter((u) => !urls.includes(u))];
    return { ...current, desired: { ...current.desired, streamUrls: next } };
  });
  if (outcome === undefined) throw new EgressError('not_found', 'egress not found');
  if (isTerminal(outcome.record.info.status)) {
    throw new EgressError(
      'failed_precondition',
      `egress with status ${statusName(outcome.record.info.status)} cannot be updated`,
    );
  }
  deps.logger.info('stream urls updated', { egressId: record.egressId, added: added.length, removed: removed.size });
  return outcome.record.info;
}
