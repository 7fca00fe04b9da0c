import type { EgressInfo, UpdateLayoutRequest } from '@livekit/protocol';
import { EgressError, describeError } from '#domain/errors.ts';
import { isTerminal, statusName } from '#domain/status.ts';
import type { ApiDeps } from './api-deps.ts';
import { getRecord } from './get-record.ts';

/**
 * UpdateLayout, as LiveKit does it: sets the recorder participant's (identity = egress id) metadata to
 * `{"layout": …}` through the RoomService; the template page reacts to it.
 */
export async function updateLayout(deps: ApiDeps, request: UpdateLayoutRequest): Promise<EgressInfo> {
  const record = await getRecord(deps.store, request.egressId);
  if (isTerminal(record.info.status)) {
    throw new EgressError(
      'failed_precondition',
      `egress with status ${statusName(record.info.status)} cannot be updated`,
    );
  }
  try {
    await deps.rooms.setParticipantMetadata(
      record.roomName,
      record.egressId,
      JSON.stringify({ layout: request.layout }),
    );
  } catch (err) {
    throw new EgressError('unavailable', `could not update the layout: ${describeError(err)}`, { cause: err });
  }
  deps.logger.info('layout updated', { egressId: record.egressId, layout: request.layout });
  return record.info;
}
