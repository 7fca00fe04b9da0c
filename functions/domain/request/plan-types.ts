import type { AudioMixing, EgressSourceType, ParticipantInfo_Kind, WebhookConfig } from '@livekit/protocol';
import type { FileContainer } from './codecs.ts';
import type { RequestType } from './egress-request.ts';
import type { EncodingPlan } from './encoding.ts';
import type { ImageSuffix, SegmentSuffix } from './output-names.ts';
import type { StorageSpec } from './storage.ts';
import type { StreamProtocolName, StreamUrl } from './stream-url.ts';

/**
 * The validated, normalized form of an egress request: everything the task runtime needs to build its
 * Source → Pipeline → Sink, with every default applied. It holds secrets (storage credentials, stream
 * keys): it is derived from the private request and must never be logged or shown.
 */
export interface EgressPlan {
  readonly requestType: RequestType;
  /** `''` for a web egress. */
  readonly roomName: string;
  /** `EgressInfo.source_type`: WEB when Chrome renders, SDK when tracks are read from the room. */
  readonly sourceType: EgressSourceType;
  readonly source: PlanSource;
  /** Whether the output has audio. For a raw track egress (`source.kind === 'track'`) the track decides. */
  readonly audio: boolean;
  /** Whether the output has video. For a raw track egress the track decides. */
  readonly video: boolean;
  /**
   * Encoder settings; `'passthrough'` when tracks are written without transcoding (track egress to a file,
   * PASSTHROUGH preset); undefined for a track egress to a WebSocket (decoded PCM, nothing encoded).
   */
  readonly encoding: EncodingPlan | 'passthrough' | undefined;
  readonly outputs: PlanOutputs;
  /** Prefix of generated names: the room name, `web` for a web egress, the track id for a track egress. */
  readonly fileIdentifier: string;
  /** Per-request webhooks, sent in addition to the deployment's. */
  readonly webhooks: readonly WebhookConfig[];
}

/** What is recorded. */
export type PlanSource = TemplateSource | WebSource | ParticipantSource | TracksSource | MediaSource | TrackSource;

/** Room composite (v1) or v2 template: a layout page rendered by Chrome, or the SDK audio mixer. */
export interface TemplateSource {
  readonly kind: 'template';
  readonly layout: string;
  /** `custom_base_url`; undefined: the built-in templates. */
  readonly baseUrl?: string;
  /** Channel mixing when the room's audio is mixed from the SDK (audio-only, no layout, no base URL). */
  readonly audioMixing: AudioMixing;
}

/** Any web page rendered by Chrome. */
export interface WebSource {
  readonly kind: 'web';
  readonly url: string;
  /** Wait for `START_RECORDING` on the console before recording. */
  readonly awaitStartSignal: boolean;
}

/** One participant's camera + microphone, or screen share + screen share audio (v1 participant egress). */
export interface ParticipantSource {
  readonly kind: 'participant';
  readonly identity: string;
  readonly screenShare: boolean;
}

/** Track composite (v1): one audio and/or one video track, synchronised and transcoded. */
export interface TracksSource {
  readonly kind: 'tracks';
  readonly audioTrackId?: string;
  readonly videoTrackId?: string;
}

/** v2 media source: a video track or participant's video, plus audio routed per track, identity or kind. */
export interface MediaSource {
  readonly kind: 'media';
  readonly video?: { readonly trackId: string } | { readonly identity: string; readonly preferScreenShare: boolean };
  /** Record every audio track not matched by a route, on both channels. */
  readonly captureAllAudio: boolean;
  readonly audioRoutes: readonly AudioRoutePlan[];
}

/** One v2 audio route: which audio, and to which channel. */
export interface AudioRoutePlan {
  readonly match:
    | { readonly trackId: string }
    | { readonly participantIdentity: string }
    | { readonly participantKind: ParticipantInfo_Kind };
  readonly channel: 'both' | 'left' | 'right';
}

/** One track written as it arrives (v1 track egress, v2 PASSTHROUGH). */
export interface TrackSource {
  readonly kind: 'track';
  readonly trackId: string;
}

/** Outputs of an egress. At least one of them exists. */
export interface PlanOutputs {
  readonly file?: FileOutputPlan;
  readonly stream?: StreamOutputPlan;
  readonly segments?: SegmentsOutputPlan;
  readonly images: readonly ImageOutputPlan[];
}

/** A single file. */
export interface FileOutputPlan {
  /** `auto` for track egress and passthrough: decided by the track's codec ({@link trackFileContainer}). */
  readonly fileType: FileContainer | 'auto';
  /** Cleaned path template, tokens not yet expanded; `''` or ending in `/` means "generate the name". */
  readonly filepath: string;
  readonly disableManifest: boolean;
  /** Undefined: the deployment's default storage. */
  readonly storage?: StorageSpec;
}

/** Live streams: one protocol, any number of URLs (none yet is valid when other outputs exist). */
export interface StreamOutputPlan {
  readonly protocol: StreamProtocolName;
  readonly urls: readonly StreamUrl[];
}

/** HLS segments. */
export interface SegmentsOutputPlan {
  readonly protocol: 'hls';
  /** Cleaned templates, tokens not yet expanded (see {@link resolveSegmentNames}). */
  readonly filenamePrefix: string;
  readonly playlistName: string;
  /** `''`: no live playlist. */
  readonly livePlaylistName: string;
  readonly segmentDurationSec: number;
  readonly suffix: SegmentSuffix;
  readonly disableManifest: boolean;
  readonly storage?: StorageSpec;
}

/** JPEG thumbnails at an interval. */
export interface ImageOutputPlan {
  readonly captureIntervalSec: number;
  /** Undefined: the track's size (SDK sources). Web and template sources default to the encoding size. */
  readonly width?: number;
  readonly height?: number;
  /** Cleaned template, tokens not yet expanded (see {@link resolveImageNames}). */
  readonly filenamePrefix: string;
  readonly suffix: ImageSuffix;
  readonly codec: 'jpeg';
  readonly disableManifest: boolean;
  readonly storage?: StorageSpec;
}
