import { recordFromJson, recordToJson, type EgressRecord } from '#domain/egress-record.ts';
import { statusName } from '#domain/status.ts';

/**
 * The DynamoDB item of a record. Keys and query fields are top-level attributes; the protobuf parts are
 * stored as protojson strings (DynamoDB numbers cannot hold int64 nanoseconds losslessly). `expiresAt` is in
 * epoch seconds, as DynamoDB TTL wants.
 */
export interface EgressItem {
  readonly egressId: string;
  readonly roomName: string;
  readonly createdAt: number;
  readonly version: number;
  readonly status: string;
  readonly info: string;
  readonly request: string;
  readonly desired: string;
  readonly dispatch: string;
  readonly expiresAt?: number;
}

export function recordToItem(record: EgressRecord): EgressItem {
  const json = recordToJson(record);
  return {
    egressId: json.egressId,
    // An empty string cannot be a GSI key: web egresses (no room) stay out of the room index.
    ...(json.roomName === '' ? {} : { roomName: json.roomName }),
    createdAt: json.createdAt,
    version: json.version,
    status: statusName(record.info.status),
    info: JSON.stringify(json.info),
    request: JSON.stringify(json.request),
    desired: JSON.stringify(json.desired),
    dispatch: JSON.stringify(json.dispatch),
    ...(json.expiresAt === undefined ? {} : { expiresAt: Math.ceil(json.expiresAt / 1000) }),
  } as EgressItem;
}

export function itemToRecord(item: EgressItem): EgressRecord {
  return recordFromJson({
    egressId: item.egressId,
    roomName: item.roomName ?? '',
    createdAt: item.createdAt,
    version: item.version,
    info: JSON.parse(item.info) as never,
    request: JSON.parse(item.request) as never,
    desired: JSON.parse(item.desired) as never,
    dispatch: JSON.parse(item.dispatch) as never,
    ...(item.expiresAt === undefined ? {} : { expiresAt: item.expiresAt * 1000 }),
  });
}
