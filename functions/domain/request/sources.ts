import { AudioChannel, EgressSourceType } from '@livekit/protocol';
import type {
  AudioMixing,
  AudioRoute,
  MediaSource as MediaSourceMessage,
  ParticipantEgressRequest,
  TrackCompositeEgressRequest,
} from '@livekit/protocol';
import { invalidField } from '#domain/errors.ts';
import { usesSdkAudioMixer } from './egress-request.ts';
import type { RequestType } from './egress-request.ts';
import type { AudioRoutePlan, MediaSource, PlanSource } from './plan-types.ts';

/** The source half of a plan, before outputs are known (images alone turn audio off later). */
export interface SourcePlan {
  readonly requestType: RequestType;
  readonly sourceType: EgressSourceType;
  readonly source: PlanSource;
  readonly audio: boolean;
  readonly video: boolean;
}

/** Fields shared by a v1 room composite and a v2 template source. */
export interface TemplateFields {
  readonly layout: string;
  readonly audioOnly: boolean;
  readonly videoOnly: boolean;
  readonly customBaseUrl: string;
}

/** Fields shared by a v1 web egress and a v2 web source. */
export interface WebFields {
  readonly url: string;
  readonly audioOnly: boolean;
  readonly videoOnly: boolean;
  readonly awaitStartSignal: boolean;
}

/** Whether `url` is an absolute http(s) URL. */
export function isHttpUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.host !== '';
  } catch {
    return false;
  }
}

function mediaFlags(audioOnly: boolean, videoOnly: boolean): { audio: boolean; video: boolean } {
  if (audioOnly && videoOnly) throw invalidField('audio_only and video_only');
  return { audio: !videoOnly, video: !audioOnly };
}

/** Room composite / v2 template. A custom base URL must be http(s). */
export function templateSource(fields: TemplateFields, audioMixing: AudioMixing): SourcePlan {
  if (fields.customBaseUrl !== '' && !isHttpUrl(fields.customBaseUrl)) throw invalidField('template base url');
  const sdk = usesSdkAudioMixer(fields);
  return {
    requestType: 'room_composite',
    sourceType: sdk ? EgressSourceType.SDK : EgressSourceType.WEB,
    source: {
      kind: 'template',
      layout: fields.layout,
      baseUrl: fields.customBaseUrl === '' ? undefined : fields.customBaseUrl,
      audioMixing,
    },
    ...mediaFlags(fields.audioOnly, fields.videoOnly),
  };
}

/** Web egress / v2 web source. The URL must be http(s). */
export function webSource(fields: WebFields): SourcePlan {
  if (!isHttpUrl(fields.url)) throw invalidField('web url');
  return {
    requestType: 'web',
    sourceType: EgressSourceType.WEB,
    source: { kind: 'web', url: fields.url, awaitStartSignal: fields.awaitStartSignal },
    ...mediaFlags(fields.audioOnly, fields.videoOnly),
  };
}

/** v1 participant egress: identity is required. */
export function participantSource(request: ParticipantEgressRequest): SourcePlan {
  if (request.identity === '') throw invalidField('identity');
  return {
    requestType: 'participant',
    sourceType: EgressSourceType.SDK,
    source: { kind: 'participant', identity: request.identity, screenShare: request.screenShare },
    audio: true,
    video: true,
  };
}

/** v1 track composite: at least one of the two track ids. */
export function trackCompositeSource(request: TrackCompositeEgressRequest): SourcePlan {
  const { audioTrackId, videoTrackId } = request;
  if (audioTrackId === '' && videoTrackId === '') throw invalidField('audio_track_id or video_track_id');
  return {
    requestType: 'track_composite',
    sourceType: EgressSourceType.SDK,
    source: {
      kind: 'tracks',
      audioTrackId: audioTrackId === '' ? undefined : audioTrackId,
      videoTrackId: videoTrackId === '' ? undefined : videoTrackId,
    },
    audio: audioTrackId !== '',
    video: videoTrackId !== '',
  };
}

/** One track without transcoding: v1 track egress, or a v2 PASSTHROUGH media source. */
export function trackSource(trackId: string, kind?: 'audio' | 'video'): SourcePlan {
  if (trackId === '') throw invalidField('track_id');
  return {
    requestType: 'track',
    sourceType: EgressSourceType.SDK,
    source: { kind: 'track', trackId },
    // A v1 track egress learns the track's kind only once subscribed.
    audio: kind !== 'video',
    video: kind !== 'audio',
  };
}

/** v2 media source (transcoded). */
export function mediaSource(media: MediaSourceMessage): SourcePlan {
  let video: MediaSource['video'];
  if (media.video.case === 'videoTrackId') {
    if (media.video.value === '') throw invalidField('video_track_id');
    video = { trackId: media.video.value };
  } else if (media.video.case === 'participantVideo') {
    if (media.video.value.identity === '') throw invalidField('participant_video identity');
    video = { identity: media.video.value.identity, preferScreenShare: media.video.value.preferScreenShare };
  }
  const captureAllAudio = media.audio?.captureAll ?? false;
  // LiveKit ignores the routes when capture_all is set.
  const audioRoutes = captureAllAudio ? [] : (media.audio?.routes ?? []).map(audioRoute);
  const audio = captureAllAudio || audioRoutes.length > 0;
  if (!audio && video === undefined) throw invalidField('audio or video');
  return {
    requestType: 'participant',
    sourceType: EgressSourceType.SDK,
    source: { kind: 'media', video, captureAllAudio, audioRoutes },
    audio,
    video: video !== undefined,
  };
}

const channels: Readonly<Record<AudioChannel, AudioRoutePlan['channel']>> = {
  [AudioChannel.BOTH]: 'both',
  [AudioChannel.LEFT]: 'left',
  [AudioChannel.RIGHT]: 'right',
};

function audioRoute(route: AudioRoute): AudioRoutePlan {
  const channel = channels[route.channel] as AudioRoutePlan['channel'] | undefined;
  if (channel === undefined) throw invalidField('audio route channel');
  switch (route.match.case) {
    case 'trackId':
      if (route.match.value === '') throw invalidField('audio route track_id');
      return { match: { trackId: route.match.value }, channel };
    case 'participantIdentity':
      if (route.match.value === '') throw invalidField('audio route participant_identity');
      return { match: { participantIdentity: route.match.value }, channel };
    case 'participantKind':
      return { match: { participantKind: route.match.value }, channel };
    default:
      throw invalidField('audio route match');
  }
}
