import { describe, expect, test } from 'vitest';
import {
  livePlaylistWindow,
  playlistUploadDue,
  renderEventPlaylist,
  renderLivePlaylist,
  targetDuration,
  type PlaylistSegment,
} from './hls-playlist.ts';

const start = Date.UTC(2024, 0, 2, 3, 4, 5, 6);

function segments(count: number, durationSec = 2): PlaylistSegment[] {
  return Array.from({ length: count }, (_, i) => ({
    uri: `rec_${String(i).padStart(5, '0')}.ts`,
    durationSec,
    programDateTime: new Date(start + i * durationSec * 1000),
  }));
}

describe('renderEventPlaylist', () => {
  test('writes LiveKit header, one entry per segment and ENDLIST when closed', () => {
    const text = renderEventPlaylist(segments(2, 2.0213), { closed: true, segmentDurationSec: 2 });
    expect(text).toBe(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:4',
        '#EXT-X-PLAYLIST-TYPE:EVENT',
        '#EXT-X-ALLOW-CACHE:NO',
        '#EXT-X-TARGETDURATION:3',
        '#EXT-X-MEDIA-SEQUENCE:0',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-02T03:04:05.006Z',
        '#EXTINF:2.021,',
        'rec_00000.ts',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-02T03:04:07.027Z',
        '#EXTINF:2.021,',
        'rec_00001.ts',
        '#EXT-X-ENDLIST',
        '',
      ].join('\n'),
    );
  });

  test('leaves ENDLIST out while open, and lists no segment before the first closes', () => {
    const open = renderEventPlaylist(segments(3), { closed: false, segmentDurationSec: 2 });
    expect(open).not.toContain('#EXT-X-ENDLIST');
    expect(open.match(/#EXTINF/g)).toHaveLength(3);
    const empty = renderEventPlaylist([], { closed: false, segmentDurationSec: 4 });
    expect(empty).toContain('#EXT-X-TARGETDURATION:4\n');
    expect(empty).not.toContain('#EXTINF');
  });
});

describe('renderLivePlaylist', () => {
  test('lists the last five segments with the media sequence of the first listed', () => {
    const text = renderLivePlaylist(segments(8), { closed: false, segmentDurationSec: 2 });
    expect(text).not.toContain('PLAYLIST-TYPE');
    expect(text).toContain('#EXT-X-MEDIA-SEQUENCE:3\n');
    const uris = text.split('\n').filter((line) => line.endsWith('.ts'));
    expect(uris).toEqual(['rec_00003.ts', 'rec_00004.ts', 'rec_00005.ts', 'rec_00006.ts', 'rec_00007.ts']);
    expect(uris).toHaveLength(livePlaylistWindow);
  });

  test('lists every segment while there are fewer than five, and closes with ENDLIST', () => {
    const text = renderLivePlaylist(segments(2), { closed: true, segmentDurationSec: 2 });
    expect(text).toContain('#EXT-X-MEDIA-SEQUENCE:0\n');
    expect(text.match(/#EXTINF/g)).toHaveLength(2);
    expect(text.endsWith('#EXT-X-ENDLIST\n')).toBe(true);
  });
});

test('targetDuration is the ceiling of the longest segment, at least the configured duration', () => {
  expect(targetDuration(segments(3, 2), 2)).toBe(2);
  expect(targetDuration(segments(3, 2.0000000001), 2)).toBe(2);
  expect(targetDuration([...segments(2, 2), ...segments(1, 4.2)], 2)).toBe(5);
  expect(targetDuration(segments(1, 1), 6)).toBe(6);
});

describe('playlistUploadDue', () => {
  test('uploads after every segment in the first hour', () => {
    expect(playlistUploadDue({ segmentCount: 5, uploadedCount: 4, elapsedMs: 3_000_000, sinceUploadMs: 2_000 })).toBe(
      true,
    );
    expect(playlistUploadDue({ segmentCount: 4, uploadedCount: 4, elapsedMs: 3_000_000, sinceUploadMs: 2_000 })).toBe(
      false,
    );
  });

  test('uploads every (hours + 1) segments or once a minute later on', () => {
    const later = { elapsedMs: 2.5 * 3_600_000, sinceUploadMs: 8_000 };
    expect(playlistUploadDue({ ...later, segmentCount: 102, uploadedCount: 100 })).toBe(false);
    expect(playlistUploadDue({ ...later, segmentCount: 103, uploadedCount: 100 })).toBe(true);
    expect(playlistUploadDue({ ...later, segmentCount: 101, uploadedCount: 100, sinceUploadMs: 60_000 })).toBe(true);
  });
});
