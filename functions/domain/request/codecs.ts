import type { AudioCodecName } from './encoding.ts';
import { incompatibleFormat, noCompatibleCodec, noCompatibleFileType, notSupported } from './request-errors.ts';

/** Containers a file output can have. WebM is written only by passthrough of a VP8/VP9 track. */
export type FileContainer = 'mp4' | 'ogg' | 'webm' | 'mp3';

/**
 * Formats of encoded outputs, named by LiveKit's own strings because they appear in its error messages
 * (`format audio/ogg incompatible with codec audio/aac`). `auto` is a file of DEFAULT_FILETYPE.
 */
export type OutputFormat =
  | 'video/mp4'
  | 'audio/ogg'
  | 'audio/mpeg'
  | 'video/webm'
  | 'application/x-mpegurl'
  | 'rtmp'
  | 'srt'
  | 'audio/x-raw'
  | 'auto';

type CodecMime = 'audio/aac' | 'audio/opus' | 'audio/mpeg' | 'audio/x-raw' | 'video/h264' | 'video/vp8' | 'video/vp9';

const audioMime: Readonly<Record<AudioCodecName, CodecMime>> = {
  aac: 'audio/aac',
  opus: 'audio/opus',
  mp3: 'audio/mpeg',
  pcm: 'audio/x-raw',
};

/** LiveKit's codec/container compatibility table (`types.CodecCompatibility`). */
const compatibility: Readonly<Record<OutputFormat, ReadonlySet<CodecMime>>> = {
  'video/mp4': new Set(['audio/aac', 'audio/opus', 'video/h264']),
  'audio/ogg': new Set(['audio/opus']),
  'audio/mpeg': new Set(['audio/mpeg', 'audio/opus', 'audio/aac', 'audio/x-raw']),
  'video/webm': new Set(['audio/opus', 'video/vp8', 'video/vp9']),
  'application/x-mpegurl': new Set(['audio/aac', 'video/h264']),
  rtmp: new Set(['audio/aac', 'video/h264']),
  srt: new Set(['audio/aac', 'video/h264']),
  'audio/x-raw': new Set(['audio/x-raw']),
  auto: new Set(['audio/aac', 'audio/opus', 'audio/mpeg', 'video/h264', 'video/vp8', 'video/vp9']),
};

/** The audio codec each format uses when the request names none. */
const defaultAudio: Readonly<Partial<Record<OutputFormat, AudioCodecName>>> = {
  'video/mp4': 'aac',
  'audio/ogg': 'opus',
  'audio/mpeg': 'mp3',
  'video/webm': 'opus',
  'application/x-mpegurl': 'aac',
  rtmp: 'aac',
  srt: 'aac',
  'audio/x-raw': 'pcm',
};

/** Candidates when no format's default fits (LiveKit picks one at random; we pick in this order). */
const audioPreference: readonly AudioCodecName[] = ['aac', 'opus', 'mp3', 'pcm'];

/** The container of each file format. */
export const fileFormats: Readonly<Record<FileContainer, OutputFormat>> = {
  mp4: 'video/mp4',
  ogg: 'audio/ogg',
  webm: 'video/webm',
  mp3: 'audio/mpeg',
};

/** What {@link chooseCodecs} needs to know. */
export interface CodecQuery {
  readonly audio: boolean;
  readonly video: boolean;
  /** Audio codec fixed by the advanced options or by a stream output (RTMP/SRT → AAC, WebSocket → PCM). */
  readonly audioCodec?: AudioCodecName;
  /** Formats of the encoded outputs in LiveKit's order: file, segments, stream. Images do not count. */
  readonly formats: readonly OutputFormat[];
}

/** The codecs of a transcoded egress. */
export interface CodecChoice {
  /** The audio codec; `aac` when the egress has no audio or no encoded output. */
  readonly audioCodec: AudioCodecName;
  /** The container chosen for a DEFAULT_FILETYPE file output, if there is one. */
  readonly fileContainer?: Exclude<FileContainer, 'webm'>;
}

/**
 * Chooses the codecs every output accepts and the container of a DEFAULT_FILETYPE file, as LiveKit's
 * `validateAndUpdateOutputParams` does. Video is always H.264 (the only codec any transcoded output is
 * encoded to), so only its compatibility is checked.
 */
export function chooseCodecs(query: CodecQuery): CodecChoice {
  const audioSet = query.audio ? compatibleAudio(query) : new Set<CodecMime>();
  const videoSet = query.video ? compatibleVideo(query) : new Set<CodecMime>();
  const fileContainer = query.formats.includes('auto') ? autoContainer(query, audioSet, videoSet) : undefined;
  const formats = query.formats.map((f) => (f === 'auto' && fileContainer ? fileFormats[fileContainer] : f));

  let audioCodec: AudioCodecName | undefined;
  if (query.audio) {
    audioCodec =
      formats.map((f) => defaultAudio[f]).find((c) => c !== undefined && audioSet.has(audioMime[c])) ??
      audioPreference.find((c) => audioSet.has(audioMime[c]));
  }
  return fileContainer === undefined
    ? { audioCodec: audioCodec ?? 'aac' }
    : { audioCodec: audioCodec ?? 'aac', fileContainer };
}

function compatibleAudio(query: CodecQuery): Set<CodecMime> {
  const forced = query.audioCodec === undefined ? undefined : audioMime[query.audioCodec];
  let set = new Set<CodecMime>(forced === undefined ? Object.values(audioMime) : [forced]);
  for (const format of query.formats) {
    set = intersect(set, compatibility[format]);
    if (set.size === 0)
      throw forced === undefined ? noCompatibleCodec() : incompatibleFormat(formatName(format), forced);
  }
  return set;
}

function compatibleVideo(query: CodecQuery): Set<CodecMime> {
  let set = new Set<CodecMime>(['video/h264']);
  for (const format of query.formats) {
    set = intersect(set, compatibility[format]);
    // LiveKit picks the message by whether an *audio* codec was fixed; we keep that choice.
    if (set.size === 0) {
      throw query.audioCodec === undefined ? noCompatibleCodec() : incompatibleFormat(formatName(format), 'video/h264');
    }
  }
  return set;
}

/** DEFAULT_FILETYPE: audio-only → the first of OGG, MP4, MP3 that fits; with video → MP4. */
function autoContainer(
  query: CodecQuery,
  audioSet: ReadonlySet<CodecMime>,
  videoSet: ReadonlySet<CodecMime>,
): Exclude<FileContainer, 'webm'> {
  const candidates = query.video ? (['mp4'] as const) : (['ogg', 'mp4', 'mp3'] as const);
  const fits = (container: Exclude<FileContainer, 'webm'>): boolean => {
    const accepted = compatibility[fileFormats[container]];
    const audioFits = !query.audio || [...audioSet].some((c) => accepted.has(c));
    const videoFits = !query.video || [...videoSet].some((c) => accepted.has(c));
    return audioFits && videoFits;
  };
  const found = candidates.find(fits);
  if (found === undefined) throw noCompatibleFileType();
  return found;
}

function intersect(a: ReadonlySet<CodecMime>, b: ReadonlySet<CodecMime>): Set<CodecMime> {
  return new Set([...a].filter((c) => b.has(c)));
}

/** LiveKit prints an empty format for a DEFAULT_FILETYPE file; we say `file`. */
function formatName(format: OutputFormat): string {
  return format === 'auto' ? 'file' : format;
}

const trackContainers: Readonly<Record<string, FileContainer>> = {
  'audio/opus': 'ogg',
  'audio/pcmu': 'ogg',
  'audio/pcma': 'ogg',
  'video/h264': 'mp4',
  'video/vp8': 'webm',
  'video/vp9': 'webm',
};

/**
 * The container of a track egress or passthrough file, decided by the track's codec once it is known:
 * Opus (and PCMU/PCMA, transcoded to Opus) → OGG, H.264 → MP4, VP8/VP9 → WebM.
 */
export function trackFileContainer(mimeType: string): FileContainer {
  const container = trackContainers[mimeType.toLowerCase()];
  if (container === undefined) throw notSupported(mimeType);
  return container;
}
