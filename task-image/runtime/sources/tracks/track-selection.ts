import { TrackKind, TrackSource } from '@livekit/rtc-node';
import { EgressError } from '#domain/errors.ts';
import type { EgressPlan } from '#domain/request/plan.ts';

/** Which publication fills one kind (audio or video) of a track composite or participant egress. */
export type TrackMatcher =
  | { readonly by: 'sid'; readonly kind: TrackKind; readonly sid: string }
  | {
      readonly by: 'source';
      readonly kind: TrackKind;
      readonly identity: string;
      readonly sources: readonly TrackSource[];
    };

/** What the egress records, and how it ends. */
export interface TrackSelection {
  readonly audio?: TrackMatcher;
  readonly video?: TrackMatcher;
  /**
   * Whose departure ends the egress (participant egress: unpublished tracks may come back); undefined: the
   * egress ends when every selected track is unpublished (track composite).
   */
  readonly participant?: string;
}

const camera: readonly TrackSource[] = [TrackSource.SOURCE_CAMERA];
const microphone: readonly TrackSource[] = [TrackSource.SOURCE_MICROPHONE];
const screen: readonly TrackSource[] = [TrackSource.SOURCE_SCREENSHARE];
const screenAudio: readonly TrackSource[] = [TrackSource.SOURCE_SCREENSHARE_AUDIO];

/**
 * The tracks a plan's SDK source records: track composite (track ids), participant (camera + microphone,
 * or screen share + its audio), and the v2 media source where it names one video and at most one audio
 * track or participant. Audio and video follow the plan's `audio`/`video` (audio-only, video-only).
 */
export function selectTracks(plan: EgressPlan): TrackSelection {
  const { source } = plan;
  const audio = plan.audio;
  const video = plan.video;
  switch (source.kind) {
    case 'tracks':
      return {
        audio: audio && source.audioTrackId ? sidMatcher(TrackKind.KIND_AUDIO, source.audioTrackId) : undefined,
        video: video && source.videoTrackId ? sidMatcher(TrackKind.KIND_VIDEO, source.videoTrackId) : undefined,
      };
    case 'participant': {
      const { identity, screenShare } = source;
      return {
        audio: audio
          ? sourceMatcher(TrackKind.KIND_AUDIO, identity, screenShare ? screenAudio : microphone)
          : undefined,
        video: video ? sourceMatcher(TrackKind.KIND_VIDEO, identity, screenShare ? screen : camera) : undefined,
        participant: identity,
      };
    }
    case 'media':
      return mediaSelection(plan, source);
    default:
      throw new EgressError('internal', `no SDK tracks to select for a ${source.kind} source`);
  }
}

function mediaSelection(plan: EgressPlan, source: Extract<EgressPlan['source'], { kind: 'media' }>): TrackSelection {
  if (source.captureAllAudio || source.audioRoutes.length > 1) {
    throw new EgressError('unimplemented', 'mixing several audio tracks is not available in this version yet');
  }
  const route = source.audioRoutes[0];
  let audio: TrackMatcher | undefined;
  if (route !== undefined && plan.audio) {
    if ('trackId' in route.match) audio = sidMatcher(TrackKind.KIND_AUDIO, route.match.trackId);
    else if ('participantIdentity' in route.match) {
      audio = sourceMatcher(TrackKind.KIND_AUDIO, route.match.participantIdentity, [...microphone, ...screenAudio]);
    } else throw new EgressError('unimplemented', 'audio routes by participant kind are not available yet');
    if (route.channel !== 'both') {
      throw new EgressError('unimplemented', 'routing audio to one channel is not available in this version yet');
    }
  }
  let video: TrackMatcher | undefined;
  if (source.video !== undefined && plan.video) {
    video =
      'trackId' in source.video
        ? sidMatcher(TrackKind.KIND_VIDEO, source.video.trackId)
        : sourceMatcher(
            TrackKind.KIND_VIDEO,
            source.video.identity,
            source.video.preferScreenShare ? [...screen, ...camera] : [...camera, ...screen],
          );
  }
  return { audio, video };
}

function sidMatcher(kind: TrackKind, sid: string): TrackMatcher {
  return { by: 'sid', kind, sid };
}

function sourceMatcher(kind: TrackKind, identity: string, sources: readonly TrackSource[]): TrackMatcher {
  return { by: 'source', kind, identity, sources };
}

/** The 404 of a matcher nothing in the room satisfied in time (LiveKit's wording). */
export function notFound(matcher: TrackMatcher, participantPresent: boolean): EgressError {
  if (matcher.by === 'sid') return new EgressError('not_found', `track ${matcher.sid} not found`);
  return participantPresent
    ? new EgressError('not_found', `track of participant ${matcher.identity} not found`)
    : new EgressError('not_found', `participant ${matcher.identity} not found`);
}
