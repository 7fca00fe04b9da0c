import { AudioCodec, EncodingOptionsPreset, VideoCodec } from '@livekit/protocol';
import type { EncodingOptions } from '@livekit/protocol';
import { invalidField } from '#domain/errors.ts';
import { notSupported } from './request-errors.ts';

/** Audio codec of an encoded output: `pcm` is raw S16LE, only for WebSocket output. */
export type AudioCodecName = 'aac' | 'opus' | 'mp3' | 'pcm';

/**
 * Video codec of an encoded output. Every transcoded output is H.264 (x264), as in LiveKit: VP8 and VP9
 * are only ever written by passthrough, so they never appear here.
 */
export type VideoCodecName = 'h264_baseline' | 'h264_main' | 'h264_high';

/** H.264 profile. */
export type H264Profile = 'baseline' | 'main' | 'high';

/** The encoder settings the task runtime builds its pipeline from. */
export interface EncodingPlan {
  readonly width: number;
  readonly height: number;
  /** Colour depth of the capture screen (Xvfb), bits. */
  readonly depth: number;
  readonly framerate: number;
  /** Meaningful only when the plan has audio. */
  readonly audioCodec: AudioCodecName;
  readonly audioBitrateKbps: number;
  /** Sample rate, Hz: 48000 for Opus and PCM whatever was asked, `audio_frequency` for AAC and MP3. */
  readonly audioFrequency: number;
  readonly videoCodec: VideoCodecName;
  readonly videoBitrateKbps: number;
  /**
   * Seconds between keyframes. Streams default to 4 (with x264 `scenecut=0`); with segments it is the
   * segment duration (LiveKit forces a keyframe at each segment boundary); undefined means the encoder's
   * default (file and image outputs without an explicit `key_frame_interval`).
   */
  readonly keyFrameIntervalSec?: number;
}

/** The video settings of one encoding preset. */
export interface PresetSettings {
  readonly width: number;
  readonly height: number;
  readonly framerate: number;
  readonly videoBitrateKbps: number;
}

/** LiveKit's encoding presets (`config/encoding.go`); PASSTHROUGH is not a preset of settings. */
export const encodingPresets: ReadonlyMap<EncodingOptionsPreset, PresetSettings> = new Map([
  [EncodingOptionsPreset.H264_720P_30, { width: 1280, height: 720, framerate: 30, videoBitrateKbps: 3000 }],
  [EncodingOptionsPreset.H264_720P_60, { width: 1280, height: 720, framerate: 60, videoBitrateKbps: 4500 }],
  [EncodingOptionsPreset.H264_1080P_30, { width: 1920, height: 1080, framerate: 30, videoBitrateKbps: 4500 }],
  [EncodingOptionsPreset.H264_1080P_60, { width: 1920, height: 1080, framerate: 60, videoBitrateKbps: 6000 }],
  [EncodingOptionsPreset.PORTRAIT_H264_720P_30, { width: 720, height: 1280, framerate: 30, videoBitrateKbps: 3000 }],
  [EncodingOptionsPreset.PORTRAIT_H264_720P_60, { width: 720, height: 1280, framerate: 60, videoBitrateKbps: 4500 }],
  [EncodingOptionsPreset.PORTRAIT_H264_1080P_30, { width: 1080, height: 1920, framerate: 30, videoBitrateKbps: 4500 }],
  [EncodingOptionsPreset.PORTRAIT_H264_1080P_60, { width: 1080, height: 1920, framerate: 60, videoBitrateKbps: 6000 }],
]);

/**
 * What LiveKit's code uses for every field a request leaves unset. The proto comments say 1920×1080 and
 * 4500 kbps; the code wins.
 */
export const encodingDefaults = {
  width: 1280,
  height: 720,
  depth: 24,
  framerate: 30,
  videoBitrateKbps: 3000,
  profile: 'main',
  audioBitrateKbps: 128,
  audioFrequency: 44100,
} as const satisfies Omit<EncodingSettings, 'keyFrameIntervalSec' | 'audioCodec'>;

/** Keyframe interval of stream outputs when the request sets none, seconds. */
export const streamKeyFrameIntervalSec = 4;

/** Sample rate of Opus and PCM output, Hz. */
export const opusSampleRate = 48000;

/** Encoder settings read from a request, before its outputs decide codecs and keyframes. */
export interface EncodingSettings {
  readonly width: number;
  readonly height: number;
  readonly depth: number;
  readonly framerate: number;
  readonly videoBitrateKbps: number;
  readonly profile: H264Profile;
  readonly audioBitrateKbps: number;
  readonly audioFrequency: number;
  /** 0 when the request sets none. */
  readonly keyFrameIntervalSec: number;
  /** Audio codec the request asks for (advanced options), if any. */
  readonly audioCodec?: AudioCodecName;
}

/** The `preset | advanced` oneof shared by every request message. */
export type EncodingChoice =
  | { readonly case: 'preset'; readonly value: EncodingOptionsPreset }
  | { readonly case: 'advanced'; readonly value: EncodingOptions }
  | { readonly case: undefined; readonly value?: undefined };

const defaultSettings: EncodingSettings = { ...encodingDefaults, keyFrameIntervalSec: 0 };

/**
 * Reads a request's encoding options: a preset (default H264_720P_30), advanced options over the code
 * defaults, or `'passthrough'`. Rejects what LiveKit rejects: odd or too small width/height, a depth
 * outside {8, 16, 24}.
 */
export function readEncoding(choice: EncodingChoice): EncodingSettings | 'passthrough' {
  switch (choice.case) {
    case undefined:
      return defaultSettings;
    case 'preset': {
      if (choice.value === EncodingOptionsPreset.PASSTHROUGH) return 'passthrough';
      const preset = encodingPresets.get(choice.value);
      if (preset === undefined) throw invalidField('preset');
      return { ...defaultSettings, ...preset };
    }
    case 'advanced':
      return readAdvanced(choice.value);
  }
}

function readAdvanced(options: EncodingOptions): EncodingSettings {
  return {
    width: dimension(options.width, 'width', encodingDefaults.width),
    height: dimension(options.height, 'height', encodingDefaults.height),
    depth: depth(options.depth),
    framerate: positiveOr(options.framerate, 'framerate', encodingDefaults.framerate),
    videoBitrateKbps: positiveOr(options.videoBitrate, 'video_bitrate', encodingDefaults.videoBitrateKbps),
    profile: profileOf(options.videoCodec),
    audioBitrateKbps: positiveOr(options.audioBitrate, 'audio_bitrate', encodingDefaults.audioBitrateKbps),
    audioFrequency: positiveOr(options.audioFrequency, 'audio_frequency', encodingDefaults.audioFrequency),
    keyFrameIntervalSec: positiveOr(options.keyFrameInterval, 'key_frame_interval', 0),
    audioCodec: audioCodecOf(options.audioCodec),
  };
}

/** Width and height must be even and at least 16 (LiveKit); 0 means the default. */
function dimension(value: number, field: string, fallback: number): number {
  if (value === 0) return fallback;
  if (value < 16 || value % 2 !== 0) throw invalidField(field);
  return value;
}

function depth(value: number): number {
  if (value === 0) return encodingDefaults.depth;
  if (value === 8 || value === 16 || value === 24) return value;
  throw invalidField('depth');
}

/** 0 means the default. LiveKit passes negative values on to the encoder, which then fails; we reject them. */
function positiveOr(value: number, field: string, fallback: number): number {
  if (value === 0) return fallback;
  if (!Number.isFinite(value) || value < 0) throw invalidField(field);
  return value;
}

function audioCodecOf(codec: AudioCodec): AudioCodecName | undefined {
  switch (codec) {
    case AudioCodec.DEFAULT_AC:
      return undefined;
    case AudioCodec.OPUS:
      return 'opus';
    case AudioCodec.AAC:
      return 'aac';
    case AudioCodec.AC_MP3:
      return 'mp3';
    default:
      throw notSupported(`audio codec ${String(codec)}`);
  }
}

/**
 * VP8 is accepted and ignored, as LiveKit does: no container of a transcoded output takes VP8, so the
 * output is H.264 main. A value this protocol version does not know (a future VP9, say) is not supported.
 */
function profileOf(codec: VideoCodec): H264Profile {
  switch (codec) {
    case VideoCodec.H264_BASELINE:
      return 'baseline';
    case VideoCodec.H264_HIGH:
      return 'high';
    case VideoCodec.DEFAULT_VC:
    case VideoCodec.H264_MAIN:
    case VideoCodec.VP8:
      return 'main';
    default:
      throw notSupported(`video codec ${String(codec)} encoding`);
  }
}

/** The final encoder settings once the outputs have chosen the audio codec and keyframe interval. */
export function toEncodingPlan(
  settings: EncodingSettings,
  audioCodec: AudioCodecName,
  keyFrameIntervalSec: number | undefined,
): EncodingPlan {
  const plan: EncodingPlan = {
    width: settings.width,
    height: settings.height,
    depth: settings.depth,
    framerate: settings.framerate,
    audioCodec,
    audioBitrateKbps: settings.audioBitrateKbps,
    audioFrequency: audioCodec === 'opus' || audioCodec === 'pcm' ? opusSampleRate : settings.audioFrequency,
    videoCodec: `h264_${settings.profile}`,
    videoBitrateKbps: settings.videoBitrateKbps,
  };
  return keyFrameIntervalSec === undefined ? plan : { ...plan, keyFrameIntervalSec };
}
