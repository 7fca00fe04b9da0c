/**
 * LiveKit's HLS playlists (egress `sink/m3u8`): an EVENT playlist listing every segment, and a live
 * playlist with a sliding window of the last segments. Pure: the segments sink decides when to upload.
 */

/** One closed, uploaded segment as the playlists list it. */
export interface PlaylistSegment {
  /** The segment's file name relative to the playlist (the playlists sit in the segments' directory). */
  readonly uri: string;
  /** Length of the segment in seconds. */
  readonly durationSec: number;
  /** Wall clock of the segment's first frame. */
  readonly programDateTime: Date;
}

/** How a playlist is rendered. */
export interface PlaylistRenderOptions {
  /** `#EXT-X-ENDLIST` is appended: no segment will be added. */
  readonly closed: boolean;
  /**
   * The configured segment duration (s): the smallest `#EXT-X-TARGETDURATION` written, so the target stays
   * the same from the first render to the last unless a segment runs longer.
   */
  readonly segmentDurationSec: number;
}

/** Segments the live playlist lists (LiveKit: 5). */
export const livePlaylistWindow = 5;

/**
 * `#EXT-X-TARGETDURATION`: the ceiling of the longest segment, never below the configured duration. The
 * HLS spec only requires the rounded EXTINF to fit; the ceiling also satisfies players that compare
 * unrounded values.
 */
export function targetDuration(segments: readonly PlaylistSegment[], segmentDurationSec: number): number {
  let longest = segmentDurationSec;
  for (const segment of segments) longest = Math.max(longest, segment.durationSec);
  // Rounding noise (2.0000001 from float sums) must not lift the target to the next second.
  return Math.max(1, Math.ceil(longest - 1e-6));
}

function segmentLines(segments: readonly PlaylistSegment[]): string[] {
  const lines: string[] = [];
  for (const segment of segments) {
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${segment.programDateTime.toISOString()}`);
    lines.push(`#EXTINF:${segment.durationSec.toFixed(3)},`);
    lines.push(segment.uri);
  }
  return lines;
}

/**
 * The main playlist: `PLAYLIST-TYPE:EVENT`, every segment from index 0, `#EXT-X-ENDLIST` once closed.
 */
export function renderEventPlaylist(segments: readonly PlaylistSegment[], options: PlaylistRenderOptions): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:4',
    '#EXT-X-PLAYLIST-TYPE:EVENT',
    '#EXT-X-ALLOW-CACHE:NO',
    `#EXT-X-TARGETDURATION:${targetDuration(segments, options.segmentDurationSec)}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    ...segmentLines(segments),
  ];
  if (options.closed) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/**
 * The live playlist: no playlist type (a sliding window is neither EVENT nor VOD), the last
 * {@link livePlaylistWindow} segments, `MEDIA-SEQUENCE` = index of the first one listed, so a player
 * polling it can tell which segments are new. The target duration is taken over every segment, so it
 * does not shrink as long segments leave the window.
 */
export function renderLivePlaylist(segments: readonly PlaylistSegment[], options: PlaylistRenderOptions): string {
  const first = Math.max(0, segments.length - livePlaylistWindow);
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:4',
    '#EXT-X-ALLOW-CACHE:NO',
    `#EXT-X-TARGETDURATION:${targetDuration(segments, options.segmentDurationSec)}`,
    `#EXT-X-MEDIA-SEQUENCE:${first}`,
    ...segmentLines(segments.slice(first)),
  ];
  if (options.closed) lines.push('#EXT-X-ENDLIST');
  return `${lines.join('\n')}\n`;
}

/** When the main playlist was last uploaded. */
export interface PlaylistUploadState {
  /** Segments listed now. */
  readonly segmentCount: number;
  /** Segments listed in the last uploaded playlist (0: never uploaded). */
  readonly uploadedCount: number;
  /** Milliseconds since the recording started and since the last upload. */
  readonly elapsedMs: number;
  readonly sinceUploadMs: number;
}

const hourMs = 3_600_000;
const minuteMs = 60_000;

/**
 * LiveKit's re-upload rule for the (growing) main playlist: after every segment during the first hour,
 * then every (hours + 1) segments or at least once a minute — a ten-hour playlist is ~1 MB, and uploading
 * it every few seconds would cost more than the segments. The live playlist is small and always uploaded.
 */
export function playlistUploadDue(state: PlaylistUploadState): boolean {
  if (state.segmentCount <= state.uploadedCount) return false;
  if (state.elapsedMs < hourMs) return true;
  const every = Math.floor(state.elapsedMs / hourMs) + 1;
  return state.segmentCount - state.uploadedCount >= every || state.sinceUploadMs >= minuteMs;
}
