import { describe, expect, it } from 'vitest';
import { errorOf } from './request-fixtures.ts';
import { imageFilename, resolveImageNames, resolveSegmentNames, segmentFilename } from './output-names.ts';

const time = new Date(Date.UTC(2026, 10, 24, 10, 15, 30, 42));
const context = { time, roomName: 'demo' };

describe('resolveSegmentNames', () => {
  // [prefix, playlist, live] → [storageDir, playlist, live, segmentPrefix]: LiveKit's TestSegmentNaming table.
  const cases: [string, string, string, string, string, string | undefined, string][] = [
    ['', 'playlist', '', '', 'playlist.m3u8', undefined, 'playlist'],
    [
      '',
      'conf_test/playlist',
      'conf_test/live_playlist',
      'conf_test/',
      'playlist.m3u8',
      'live_playlist.m3u8',
      'playlist',
    ],
    ['filename', '', 'live_playlist2.m3u8', '', 'filename.m3u8', 'live_playlist2.m3u8', 'filename'],
    ['filename', 'playlist', '', '', 'playlist.m3u8', undefined, 'filename'],
    ['filename', 'conf_test/', '', 'conf_test/', 'filename.m3u8', undefined, 'filename'],
    ['filename', 'conf_test/playlist', '', 'conf_test/', 'playlist.m3u8', undefined, 'filename'],
    ['conf_test/', 'playlist', '', 'conf_test/', 'playlist.m3u8', undefined, 'playlist'],
    ['conf_test/filename', 'playlist', '', 'conf_test/', 'playlist.m3u8', undefined, 'filename'],
    ['conf_test/filename', 'conf_test/playlist', '', 'conf_test/', 'playlist.m3u8', undefined, 'filename'],
    [
      'conf_test_2/filename',
      'conf_test/playlist',
      '',
      'conf_test/',
      'playlist.m3u8',
      undefined,
      'conf_test_2/filename',
    ],
  ];

  it.each(cases)('prefix %j, playlist %j, live %j', (prefix, playlist, live, dir, name, liveName, segmentPrefix) => {
    const names = resolveSegmentNames(
      { filenamePrefix: prefix, playlistName: playlist, livePlaylistName: live },
      'demo',
      context,
    );
    expect(names).toMatchObject({
      storageDir: dir,
      playlistFilename: name,
      livePlaylistFilename: liveName,
      segmentPrefix,
    });
  });

  it('generates <identifier>-<time> when nothing is named', () => {
    const names = resolveSegmentNames({ filenamePrefix: '', playlistName: '', livePlaylistName: '' }, 'demo', context);
    expect(names).toMatchObject({
      playlistFilename: 'demo-2026-11-24T101530.m3u8',
      segmentPrefix: 'demo-2026-11-24T101530',
      playlistPath: 'demo-2026-11-24T101530.m3u8',
    });
  });

  it('expands tokens and gives full playlist paths', () => {
    const names = resolveSegmentNames(
      { filenamePrefix: '', playlistName: 'hls/{room_name}/index', livePlaylistName: 'hls/{room_name}/live' },
      'demo',
      context,
    );
    expect(names).toMatchObject({ playlistPath: 'hls/demo/index.m3u8', livePlaylistPath: 'hls/demo/live.m3u8' });
  });

  it('rejects a live playlist in another directory', () => {
    const error = errorOf(() =>
      resolveSegmentNames({ filenamePrefix: '', playlistName: 'a/p', livePlaylistName: 'b/l' }, 'demo', context),
    );
    expect(error.message).toBe(
      'request has missing or invalid field: live_playlist_name must be in same directory as playlist_name',
    );
  });
});

describe('resolveImageNames', () => {
  it('splits the directory from the prefix', () => {
    expect(resolveImageNames('thumbs/{room_name}/img', 'demo', context)).toEqual({
      storageDir: 'thumbs/demo/',
      prefix: 'img',
    });
  });

  it('generates <identifier>-<time> for an empty prefix', () => {
    expect(resolveImageNames('thumbs/', 'web', context)).toEqual({
      storageDir: 'thumbs/',
      prefix: 'web-2026-11-24T101530',
    });
  });
});

describe('segment and image file names', () => {
  it('names segments by index or timestamp', () => {
    expect(segmentFilename('seg', 'index', 42, time)).toBe('seg_00042.ts');
    expect(segmentFilename('seg', 'timestamp', 42, time)).toBe('seg_20261124101530042.ts');
  });

  it('names images by index, timestamp, or one overwritten file', () => {
    expect(imageFilename('img', 'index', 7, time)).toBe('img_00007.jpeg');
    expect(imageFilename('img', 'timestamp', 7, time)).toBe('img_20261124101530042.jpeg');
    expect(imageFilename('img', 'none_overwrite', 7, time)).toBe('img.jpeg');
  });
});
