import { ListEgressResponse, type ListEgressRequest } from '@livekit/protocol';
import type { ApiDeps } from './api-deps.ts';

/** ListEgress: filters by room, egress id and `active`, newest first (page tokens are ignored, as in LiveKit OSS). */
export async function listEgress(deps: ApiDeps, request: ListEgressRequest): Promise<ListEgressResponse> {
  const records = await deps.store.list({
    ...(request.roomName === '' ? {} : { roomName: request.roomName }),
    ...(request.egressId === '' ? {} : { egressId: request.egressId }),
    active: request.active,
  });
  return new ListEgressResponse({ items: records.map((r) => r.info) });
}
