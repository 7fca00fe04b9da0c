import { EgressSourceType, EncodingOptionsPreset } from '@livekit/protocol';
import type { EgressInfo, StartEgressRequest, TemplateSource, WebhookConfig } from '@livekit/protocol';

/**
 * Every request this service accepts: the `request` oneof of `EgressInfo`, minus replay exports (not offered).
 * `egress` is the v2 `StartEgressRequest`; the other cases are the v1 Start*Egress requests.
 */
export type EgressRequest = Exclude<EgressInfo['request'], { case: undefined } | { case: 'replay' }>;

/** The case names of {@link EgressRequest}. */
export type EgressRequestCase = EgressRequest['case'];

/**
 * LiveKit's request family, which decides the task size and image (design decision 3): a v2 template counts
 * as `room_composite`, a v2 media source as `participant` and a v2 PASSTHROUGH media source as `track`,
 * as in LiveKit's CPU cost table.
 */
export type RequestType = 'room_composite' | 'web' | 'participant' | 'track_composite' | 'track';

/** The request carried by `info`, or undefined when it has none (or is a replay export). */
export function egressRequestOf(info: EgressInfo): EgressRequest | undefined {
  const request = info.request;
  if (request.case === undefined || request.case === 'replay') return undefined;
  return request;
}

/**
 * Room the egress records, for `EgressInfo.room_name`: `''` for a v1 web egress, which has no room; a v2
 * request keeps whatever `room_name` it gives, as LiveKit does.
 */
export function roomNameOf(request: EgressRequest): string {
  return request.case === 'web' ? '' : request.value.roomName;
}

/** Per-request webhooks, sent in addition to the deployment's own. */
export function webhooksOf(request: EgressRequest): readonly WebhookConfig[] {
  return request.value.webhooks;
}

/** Whether a v2 request asks for the PASSTHROUGH preset (no transcoding). */
export function isPassthroughRequest(request: EgressRequest): boolean {
  return (
    request.case === 'egress' &&
    request.value.encoding.case === 'preset' &&
    request.value.encoding.value === EncodingOptionsPreset.PASSTHROUGH
  );
}

/** The request family of `request` (see {@link RequestType}). */
export function requestTypeOf(request: EgressRequest): RequestType {
  switch (request.case) {
    case 'roomComposite':
      return 'room_composite';
    case 'web':
      return 'web';
    case 'participant':
      return 'participant';
    case 'trackComposite':
      return 'track_composite';
    case 'track':
      return 'track';
    case 'egress':
      return v2RequestType(request.value);
  }
}

function v2RequestType(request: StartEgressRequest): RequestType {
  switch (request.source.case) {
    case 'template':
      return 'room_composite';
    case 'web':
      return 'web';
    default:
      return isPassthroughRequest({ case: 'egress', value: request }) ? 'track' : 'participant';
  }
}

/**
 * Whether a room composite is recorded without Chrome: LiveKit skips the browser for an audio-only template
 * with no layout and no custom base URL, and mixes the room's audio from the SDK instead.
 */
export function usesSdkAudioMixer(template: Pick<TemplateSource, 'audioOnly' | 'layout' | 'customBaseUrl'>): boolean {
  return template.audioOnly && template.layout === '' && template.customBaseUrl === '';
}

/** `EgressInfo.source_type`: WEB when Chrome renders the output, SDK when tracks are read from the room. */
export function sourceTypeOf(request: EgressRequest): EgressSourceType {
  switch (request.case) {
    case 'roomComposite':
      return usesSdkAudioMixer(request.value) ? EgressSourceType.SDK : EgressSourceType.WEB;
    case 'web':
      return EgressSourceType.WEB;
    case 'egress': {
      const source = request.value.source;
      if (source.case === 'web') return EgressSourceType.WEB;
      if (source.case === 'template') {
        return usesSdkAudioMixer(source.value) ? EgressSourceType.SDK : EgressSourceType.WEB;
      }
      return EgressSourceType.SDK;
    }
    default:
      return EgressSourceType.SDK;
  }
}

/** A deep copy of `request`; changing the copy never changes the original. */
export function cloneRequest(request: EgressRequest): EgressRequest {
  switch (request.case) {
    case 'egress':
      return { case: 'egress', value: request.value.clone() };
    case 'roomComposite':
      return { case: 'roomComposite', value: request.value.clone() };
    case 'web':
      return { case: 'web', value: request.value.clone() };
    case 'participant':
      return { case: 'participant', value: request.value.clone() };
    case 'trackComposite':
      return { case: 'trackComposite', value: request.value.clone() };
    case 'track':
      return { case: 'track', value: request.value.clone() };
  }
}
