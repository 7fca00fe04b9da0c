import type { FileContainer } from './codecs.ts';

/**
 * Filename templating (LiveKit `config/output_file.go`). Templates are expanded in two phases: what is
 * known when the task starts (`{room_name}` `{room_id}` `{time}` `{utc}` `{retry}`), then what is known
 * once the recorder has joined and found its tracks (`{publisher_identity}` `{track_id}` `{track_type}`
 * `{track_source}`). A token whose value the context does not hold is left as it is for the next phase.
 */

/** Values of the template tokens known at one moment; an absent field leaves its token in place. */
export interface FilenameContext {
  /** Start of the recording: `{time}`, `{utc}` and auto-generated names. */
  readonly time?: Date;
  readonly roomName?: string;
  readonly roomId?: string;
  /** Attempt number, 0 for the first: `{retry}`, and `-<retry>` after auto-generated names when > 0. */
  readonly retry?: number;
  readonly publisherIdentity?: string;
  readonly trackId?: string;
  /** `audio` or `video`. */
  readonly trackType?: string;
  /** Lower-case track source: `camera`, `microphone`, `screen_share`, `screen_share_audio`, `unknown`. */
  readonly trackSource?: string;
}

/** A context that knows the recording's start time, needed to generate names. */
export type TimedFilenameContext = FilenameContext & { readonly time: Date };

const tokenPattern = /\{(room_name|room_id|time|utc|retry|publisher_identity|track_id|track_type|track_source)\}/g;

/** Extensions LiveKit recognises and replaces when a path ends with the wrong one. */
export const knownExtensions: ReadonlySet<string> = new Set([
  '.raw',
  '.ogg',
  '.mp3',
  '.ivf',
  '.mp4',
  '.ts',
  '.webm',
  '.m3u8',
  '.jpeg',
]);

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** `{time}`: Go layout `2006-01-02T150405`, in UTC, e.g. `2026-11-24T101530`. */
export function formatTime(date: Date): string {
  const day = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
  return `${day}T${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
}

/** `{utc}`: Go layout `20060102150405` plus 3-digit milliseconds, in UTC, e.g. `20261124101530042`. */
export function formatUtc(date: Date): string {
  const day = `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}`;
  const time = `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
  return `${day}${time}${pad(date.getUTCMilliseconds(), 3)}`;
}

function tokenValue(token: string, context: FilenameContext): string | undefined {
  switch (token) {
    case 'room_name':
      return context.roomName;
    case 'room_id':
      return context.roomId;
    case 'time':
      return context.time && formatTime(context.time);
    case 'utc':
      return context.time && formatUtc(context.time);
    case 'retry':
      return context.retry === undefined ? undefined : String(context.retry);
    case 'publisher_identity':
      return context.publisherIdentity;
    case 'track_id':
      return context.trackId;
    case 'track_type':
      return context.trackType;
    default:
      return context.trackSource;
  }
}

/**
 * Replaces the tokens `context` knows, in one pass: a value that itself looks like a token is not expanded
 * again in this phase.
 */
export function expandTokens(template: string, context: FilenameContext): string {
  return template.replace(tokenPattern, (whole, token: string) => tokenValue(token, context) ?? whole);
}

/** The tokens still in `path`, e.g. `['{track_id}']`. */
export function unresolvedTokens(path: string): string[] {
  return [...path.matchAll(tokenPattern)].map((match) => match[0]);
}

/** Go's `path.Clean`: no empty or `.` elements, `..` resolved where possible, no trailing slash. */
function cleanPosix(path: string): string {
  const rooted = path.startsWith('/');
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') out.push(part);
    else if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (!rooted) out.push('..');
  }
  const joined = out.join('/');
  if (rooted) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/**
 * A storage path that cannot leave its prefix: cleaned as Go's `path.Clean`, leading `../` stripped (as
 * LiveKit), and — beyond LiveKit — a leading `/` stripped, so no key or local path is absolute. A trailing
 * `/` (meaning "a directory: generate the name") is kept. `''` for nothing left.
 */
export function cleanPath(path: string): string {
  const trailingSlash = path.endsWith('/');
  let cleaned = cleanPosix(path);
  for (;;) {
    if (cleaned.startsWith('../')) cleaned = cleaned.slice(3);
    else if (cleaned.startsWith('/')) cleaned = cleaned.slice(1);
    else break;
  }
  if (cleaned === '' || cleaned === '.' || cleaned === '..') return '';
  return trailingSlash ? `${cleaned}/` : cleaned;
}

/** `.mp4`, `.ogg`, `.webm` or `.mp3`. */
export function fileExtension(container: FileContainer): string {
  return `.${container}`;
}

/** `<identifier>-<time>`, with `-<retry>` on a retry: the name LiveKit generates for an empty path. */
export function generatedName(identifier: string, context: TimedFilenameContext): string {
  const base = `${identifier}-${formatTime(context.time)}`;
  return context.retry !== undefined && context.retry > 0 ? `${base}-${context.retry}` : base;
}

/** `name` without a trailing known extension (`.mp4`, `.m3u8`…); other dots are kept. */
export function withoutKnownExtension(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot >= 0 && knownExtensions.has(name.slice(dot)) ? name.slice(0, dot) : name;
}

/** How to finish a file path. */
export interface FilepathOptions {
  /** Prefix of a generated name: the room name, `web` for a web egress, the track id for a track egress. */
  readonly identifier: string;
  readonly container: FileContainer;
  readonly context: TimedFilenameContext;
}

/**
 * The final storage path of a file: tokens expanded; an empty path or one ending in `/` gets a generated
 * `<identifier>-<time>` name; a wrong known extension is replaced and the right one appended; the result is
 * cleaned again, because token values (room names…) may hold `/` or `..`.
 */
export function resolveFilepath(template: string, options: FilepathOptions): string {
  const expanded = expandTokens(template, options.context);
  const extension = fileExtension(options.container);
  let path: string;
  if (expanded === '' || expanded.endsWith('/')) {
    path = `${expanded}${generatedName(options.identifier, options.context)}${extension}`;
  } else if (expanded.endsWith(extension)) {
    path = expanded;
  } else {
    path = `${withoutKnownExtension(expanded)}${extension}`;
  }
  return cleanPath(path);
}
