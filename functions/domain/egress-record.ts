import { EgressInfo } from '@livekit/protocol';
import type { JsonValue } from '@bufbuild/protobuf';

/** The private request of an egress: the `request` oneof of `EgressInfo`, unredacted (it may hold secrets). */
export type StoredRequest = Exclude<EgressInfo['request'], { case: undefined } | { case: 'replay' }>;

/** What the API asks a running task to do; the task polls it (design decision 10). */
export interface DesiredState {
  /** Set by StopEgress; the task ends its outputs and completes. */
  readonly stop?: { readonly reason: string; readonly at: number };
  /** The stream URLs the egress should publish to, after every UpdateStream (undefined: as requested). */
  readonly streamUrls?: readonly string[];
}

/** Dispatch bookkeeping written by the dispatcher, launcher and task. */
export interface DispatchState {
  /** Dispatch attempts so far. */
  readonly attempts: number;
  /** When the current launch began (ms); a second dispatcher seeing a recent one drops its duplicate. */
  readonly launchingSince?: number;
  /** Id of the task started for this egress (ECS task ARN, or `local:<pid>`). */
  readonly taskId?: string;
  /** When the task claimed the record (ms since epoch). */
  readonly claimedAt?: number;
  /** Uploads in progress, so a reconciler can keep what a dead task uploaded. */
  readonly uploads?: readonly OpenUpload[];
}

/**
 * An S3 multipart upload a task has open, with its recovery object: the bytes not yet in a part, uploaded
 * every few seconds, which become the last part if the task dies.
 */
export interface OpenUpload {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly tailKey: string;
  /**
   * The upload goes to an output's own S3Upload, not the deployment's bucket: the reconciler completes it
   * with that output's settings from the stored request (they are never copied here).
   */
  readonly requestStorage?: boolean;
}

/**
 * One record per egress: the public `EgressInfo` (secrets redacted), the private request, desired state and
 * dispatch data. `version` increases with every write and is the condition of every update.
 */
export interface EgressRecord {
  readonly egressId: string;
  readonly roomName: string;
  /** Creation time, ms since epoch. */
  readonly createdAt: number;
  readonly version: number;
  readonly info: EgressInfo;
  readonly request: StoredRequest;
  readonly desired: DesiredState;
  readonly dispatch: DispatchState;
  /** When an ended record may be deleted (ms since epoch); unset while open. */
  readonly expiresAt?: number;
}

/** The JSON form adapters persist. */
export interface EgressRecordJson {
  readonly egressId: string;
  readonly roomName: string;
  readonly createdAt: number;
  readonly version: number;
  readonly info: JsonValue;
  readonly request: JsonValue;
  readonly desired: DesiredState;
  readonly dispatch: DispatchState;
  readonly expiresAt?: number;
}

/** Serializes a record for storage (protojson for the protobuf parts). */
export function recordToJson(record: EgressRecord): EgressRecordJson {
  return {
    egressId: record.egressId,
    roomName: record.roomName,
    createdAt: record.createdAt,
    version: record.version,
    info: record.info.toJson(),
    request: new EgressInfo({ request: record.request }).toJson(),
    desired: record.desired,
    dispatch: record.dispatch,
    ...(record.expiresAt === undefined ? {} : { expiresAt: record.expiresAt }),
  };
}

/** Parses a stored record; throws if it is not one. */
export function recordFromJson(json: EgressRecordJson): EgressRecord {
  const request = EgressInfo.fromJson(json.request, { ignoreUnknownFields: true }).request;
  if (request.case === undefined || request.case === 'replay') {
    throw new Error(`stored egress ${json.egressId} has no request`);
  }
  return {
    egressId: json.egressId,
    roomName: json.roomName,
    createdAt: json.createdAt,
    version: json.version,
    info: EgressInfo.fromJson(json.info, { ignoreUnknownFields: true }),
    request,
    desired: json.desired,
    dispatch: json.dispatch,
    ...(json.expiresAt === undefined ? {} : { expiresAt: json.expiresAt }),
  };
}

/** Nanoseconds since the epoch, as LiveKit's timestamps are. */
export function nowNanos(nowMs: number = Date.now()): bigint {
  return BigInt(nowMs) * 1_000_000n;
}
