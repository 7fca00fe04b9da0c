import { invalidField } from '#domain/errors.ts';
import { cleanPath, expandTokens, formatUtc, generatedName, withoutKnownExtension } from './filename.ts';
import type { TimedFilenameContext } from './filename.ts';

/**
 * Names of HLS segment and image outputs (LiveKit `config/output_segment.go`, `output_image.go`,
 * `builder/segment.go`, `sink/image.go`).
 */

/** The name templates of a segments output, as cleaned from the request. */
export interface SegmentNameTemplates {
  readonly filenamePrefix: string;
  readonly playlistName: string;
  /** `''`: no live playlist. */
  readonly livePlaylistName: string;
}

/** Where a segments output writes. Paths are relative to the storage root. */
export interface SegmentNames {
  /** Directory of the playlists, `''` or ending in `/`. */
  readonly storageDir: string;
  /** `<name>.m3u8`, inside {@link storageDir}. */
  readonly playlistFilename: string;
  /** `<name>.m3u8` inside {@link storageDir}, or undefined when there is no live playlist. */
  readonly livePlaylistFilename?: string;
  /** Prefix of segment files, relative to {@link storageDir} (it may name a subdirectory). */
  readonly segmentPrefix: string;
  /** `storageDir + playlistFilename`, for `SegmentsInfo.playlist_name`. */
  readonly playlistPath: string;
  /** For `SegmentsInfo.live_playlist_name`. */
  readonly livePlaylistPath?: string;
}

/** `dir/`, `name` — Go's `path.Split`. */
function split(path: string): [dir: string, name: string] {
  const slash = path.lastIndexOf('/');
  return [path.slice(0, slash + 1), path.slice(slash + 1)];
}

/**
 * Resolves a segments output's names: the playlist defaults to the segment prefix or a generated
 * `<identifier>-<time>`; the prefix defaults to the playlist name; a segment prefix in the playlist's
 * directory (or when the playlist has none) is moved next to it. The live playlist must sit beside the
 * playlist and differ from it.
 */
export function resolveSegmentNames(
  templates: SegmentNameTemplates,
  identifier: string,
  context: TimedFilenameContext,
): SegmentNames {
  let [playlistDir, playlistName] = split(expandTokens(templates.playlistName, context));
  const [liveDir, liveName] = split(expandTokens(templates.livePlaylistName, context));
  let [segmentDir, segmentPrefix] = split(expandTokens(templates.filenamePrefix, context));

  if (liveDir !== '' && liveDir !== playlistDir) {
    throw invalidField('live_playlist_name must be in same directory as playlist_name');
  }
  playlistName = withoutKnownExtension(playlistName);
  const livePlaylistName = withoutKnownExtension(liveName);

  if (segmentDir !== '' && (segmentDir === playlistDir || playlistDir === '')) {
    playlistDir = segmentDir;
    segmentDir = '';
  }
  if (playlistName === '') playlistName = segmentPrefix === '' ? generatedName(identifier, context) : segmentPrefix;
  if (segmentPrefix === '') segmentPrefix = playlistName;

  const playlistFilename = `${playlistName}.m3u8`;
  const livePlaylistFilename = livePlaylistName === '' ? undefined : `${livePlaylistName}.m3u8`;
  if (playlistFilename === livePlaylistFilename) {
    throw invalidField('live_playlist_name cannot be identical to playlist_name');
  }
  return {
    storageDir: playlistDir,
    playlistFilename,
    livePlaylistFilename,
    segmentPrefix: `${segmentDir}${segmentPrefix}`,
    playlistPath: cleanPath(`${playlistDir}${playlistFilename}`),
    livePlaylistPath:
      livePlaylistFilename === undefined ? undefined : cleanPath(`${playlistDir}${livePlaylistFilename}`),
  };
}

/** Where an images output writes. */
export interface ImageNames {
  /** Directory of the images, `''` or ending in `/`. */
  readonly storageDir: string;
  /** Prefix of image files inside {@link storageDir}; `ImagesInfo.filename_prefix`. */
  readonly prefix: string;
}

/** Resolves an images output's prefix; an empty one becomes `<identifier>-<time>`. */
export function resolveImageNames(
  filenamePrefix: string,
  identifier: string,
  context: TimedFilenameContext,
): ImageNames {
  const [storageDir, prefix] = split(expandTokens(filenamePrefix, context));
  return { storageDir, prefix: prefix === '' ? generatedName(identifier, context) : prefix };
}

/** Segment file naming: by index or by timestamp. */
export type SegmentSuffix = 'index' | 'timestamp';

/** Image file naming: by index, by timestamp, or one file overwritten each time. */
export type ImageSuffix = 'index' | 'timestamp' | 'none_overwrite';

/** `{prefix}_{00042}.ts`, or `{prefix}_{20060102150405}{ms}.ts` with TIMESTAMP. */
export function segmentFilename(prefix: string, suffix: SegmentSuffix, index: number, time: Date): string {
  return suffix === 'timestamp' ? `${prefix}_${formatUtc(time)}.ts` : `${prefix}_${String(index).padStart(5, '0')}.ts`;
}

/** `{prefix}_{00042}.jpeg`, `{prefix}_{20060102150405}{ms}.jpeg` with TIMESTAMP, `{prefix}.jpeg` with NONE_OVERWRITE. */
export function imageFilename(prefix: string, suffix: ImageSuffix, index: number, time: Date): string {
  switch (suffix) {
    case 'timestamp':
      return `${prefix}_${formatUtc(time)}.jpeg`;
    case 'none_overwrite':
      return `${prefix}.jpeg`;
    case 'index':
      return `${prefix}_${String(index).padStart(5, '0')}.jpeg`;
  }
}
