import { EgressInfo, EgressStatus } from '@livekit/protocol';
import { newEgressId } from '#domain/egress-id.ts';
import { nowNanos, type EgressRecord, type StoredRequest } from '#domain/egress-record.ts';
import { EgressError, invalidField } from '#domain/errors.ts';
import { assertAllowedDestination } from '#domain/network-guard.ts';
import { outputStorages, resolvePlan, type EgressPlan } from '#domain/request/plan.ts';
import { redactRequest } from '#domain/request/redact.ts';
import { applyStatus } from '#domain/transitions.ts';
import type { ApiDeps } from './api-deps.ts';

/**
 * Start* of every kind: validates the request with LiveKit's rules, stores a STARTING record (conditional
 * create), queues `{egressId}` and returns the EgressInfo with secrets redacted. The task is started by the
 * dispatcher, asynchronously, as LiveKit does.
 */
export async function startEgress(deps: ApiDeps, request: StoredRequest): Promise<EgressInfo> {
  const plan = resolvePlan(request);
  checkWebhooks(deps, request);
  checkDestinations(plan);
  await checkWebSocketTrack(deps, request);
  const now = deps.now?.() ?? Date.now();
  const egressId = newEgressId();
  const info = new EgressInfo({
    egressId,
    roomName: plan.roomName,
    sourceType: plan.sourceType,
    status: EgressStatus.EGRESS_STARTING,
    startedAt: nowNanos(now),
    updatedAt: nowNanos(now),
    request: redactRequest(request),
  });
  const record: EgressRecord = {
    egressId,
    roomName: plan.roomName,
    createdAt: now,
    version: 1,
    info,
    request,
    desired: {},
    dispatch: { attempts: 0 },
  };
  await deps.store.create(record);
  const log = deps.logger.child({ egressId });
  try {
    await deps.queue.enqueue({ egressId });
  } catch (err) {
    log.error('could not queue egress', { err });
    await deps.store.replace(
      {
        ...(applyStatus(record, failedToQueue, now) ?? record),
        version: record.version + 1,
      },
      record.version,
    );
    throw new EgressError('unavailable', 'could not queue the egress; try again', { cause: err });
  }
  log.info('egress queued', { room: plan.roomName, type: request.case });
  return info;
}

const failedToQueue = { status: EgressStatus.EGRESS_FAILED, error: 'could not queue the egress', errorCode: 503 };

/**
 * WebSocket output carries audio only. When the track is already published, a video track is rejected now
 * with LiveKit's message; a track not yet published is checked again by the task when it appears.
 */
async function checkWebSocketTrack(deps: ApiDeps, request: StoredRequest): Promise<void> {
  if (request.case !== 'track' || request.value.output.case !== 'websocketUrl') return;
  let track;
  try {
    track = await deps.rooms.findTrack(request.value.roomName, request.value.trackId);
  } catch (err) {
    deps.logger.debug('track lookup failed; the task will check the track', { err });
    return;
  }
  if (track?.kind === 'video') {
    throw new EgressError('invalid_argument', `format websocket incompatible with codec ${track.mimeType}`);
  }
}

/** Pages and streams must not reach link-local or metadata addresses (checked again when connecting). */
function checkDestinations(plan: EgressPlan): void {
  for (const target of plan.outputs.stream?.urls ?? []) {
    const url = parseUrl(target.url);
    if (url !== undefined) assertAllowedDestination(url, 'stream url');
  }
  const page =
    plan.source.kind === 'web' ? plan.source.url : plan.source.kind === 'template' ? plan.source.baseUrl : undefined;
  const pageUrl = page === undefined ? undefined : parseUrl(page);
  if (pageUrl !== undefined) assertAllowedDestination(pageUrl, 'page url');
  // An output's own S3-compatible endpoint and proxy: the task would send the request's keys there.
  for (const storage of outputStorages(plan.outputs)) {
    checkStorageTarget(storage.endpoint, 's3 endpoint', 's3.endpoint');
    checkStorageTarget(storage.proxy?.url ?? '', 's3 proxy', 's3.proxy');
  }
}

/** An endpoint may come without a scheme (`host:port`), as the AWS SDK's config does not allow but users write. */
function checkStorageTarget(target: string, what: string, field: string): void {
  if (target === '') return;
  const url = parseUrl(target.includes('://') ? target : `https://${target}`);
  if (url === undefined) throw invalidField(field, 'not a URL');
  assertAllowedDestination(url, what);
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function checkWebhooks(deps: ApiDeps, request: StoredRequest): void {
  for (const hook of request.value.webhooks) {
    let url: URL;
    try {
      url = new URL(hook.url);
    } catch {
      throw invalidField('webhooks.url', 'not a URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidField('webhooks.url', 'must be http(s)');
    assertAllowedDestination(url, 'webhook');
    if (hook.signingKey !== '' && hook.signingKey !== deps.apiKey) {
      throw invalidField('webhooks.signing_key', 'unknown API key');
    }
  }
}
