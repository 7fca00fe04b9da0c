import { describe, expect, it } from 'vitest';
import {
  cleanPath,
  expandTokens,
  formatTime,
  formatUtc,
  generatedName,
  resolveFilepath,
  unresolvedTokens,
} from './filename.ts';

const time = new Date(Date.UTC(2026, 10, 24, 10, 15, 30, 42));

describe('time formats', () => {
  it('formats {time} with Go layout 2006-01-02T150405 in UTC', () => {
    expect(formatTime(time)).toBe('2026-11-24T101530');
  });

  it('formats {utc} with Go layout 20060102150405 and 3-digit milliseconds', () => {
    expect(formatUtc(time)).toBe('20261124101530042');
    expect(formatUtc(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)))).toBe('20260102030405006');
  });
});

describe('expandTokens', () => {
  it('replaces every token the context knows', () => {
    const template =
      '{room_name}/{room_id}/{time}/{utc}/{retry}/{publisher_identity}/{track_id}/{track_type}/{track_source}';
    expect(
      expandTokens(template, {
        time,
        roomName: 'demo',
        roomId: 'RM_1',
        retry: 2,
        publisherIdentity: 'alice',
        trackId: 'TR_1',
        trackType: 'video',
        trackSource: 'camera',
      }),
    ).toBe('demo/RM_1/2026-11-24T101530/20261124101530042/2/alice/TR_1/video/camera');
  });

  it('expands {retry} to 0 on the first attempt', () => {
    expect(expandTokens('rec-{retry}', { retry: 0 })).toBe('rec-0');
  });

  it('leaves tokens the context does not know for the next phase', () => {
    const first = expandTokens('{room_name}-{track_id}-{time}', { roomName: 'demo', time });
    expect(first).toBe('demo-{track_id}-2026-11-24T101530');
    expect(unresolvedTokens(first)).toEqual(['{track_id}']);
    expect(expandTokens(first, { trackId: 'TR_1' })).toBe('demo-TR_1-2026-11-24T101530');
  });

  it('does not expand a value that looks like a token in the same pass', () => {
    expect(expandTokens('{room_name}', { roomName: '{time}', time })).toBe('{time}');
  });

  it('leaves unknown braces alone', () => {
    expect(expandTokens('{nope}-{room_name}', { roomName: 'r' })).toBe('{nope}-r');
  });
});

describe('cleanPath', () => {
  it('cleans like Go path.Clean and keeps a trailing slash', () => {
    expect(cleanPath('a//b/./c/../d')).toBe('a/b/d');
    expect(cleanPath('recordings/')).toBe('recordings/');
    expect(cleanPath('a/b/../')).toBe('a/');
  });

  it('strips leading ../ and leading /', () => {
    expect(cleanPath('../../etc/passwd')).toBe('etc/passwd');
    expect(cleanPath('a/../../b')).toBe('b');
    expect(cleanPath('/abs/path.mp4')).toBe('abs/path.mp4');
    expect(cleanPath('/../x')).toBe('x');
  });

  it('reduces nothing to the empty path', () => {
    for (const path of ['', '.', '..', '../', '/', './']) expect(cleanPath(path)).toBe('');
  });
});

describe('resolveFilepath', () => {
  const options = { identifier: 'demo', container: 'mp4' as const, context: { time, roomName: 'demo' } };

  it('generates <identifier>-<time><ext> for an empty path', () => {
    expect(resolveFilepath('', options)).toBe('demo-2026-11-24T101530.mp4');
  });

  it('generates the name inside a directory path', () => {
    expect(resolveFilepath('recordings/{room_name}/', options)).toBe('recordings/demo/demo-2026-11-24T101530.mp4');
  });

  it('appends -<retry> to generated names on a retry', () => {
    expect(resolveFilepath('', { ...options, context: { time, retry: 3 } })).toBe('demo-2026-11-24T101530-3.mp4');
    expect(generatedName('web', { time, retry: 0 })).toBe('web-2026-11-24T101530');
  });

  it('keeps a correct extension', () => {
    expect(resolveFilepath('a/b.mp4', options)).toBe('a/b.mp4');
  });

  it('replaces a wrong known extension', () => {
    expect(resolveFilepath('a/b.ogg', options)).toBe('a/b.mp4');
    expect(resolveFilepath('a/b.m3u8', { ...options, container: 'webm' })).toBe('a/b.webm');
  });

  it('appends the extension after an unknown one', () => {
    expect(resolveFilepath('a/b.v1', options)).toBe('a/b.v1.mp4');
    expect(resolveFilepath('a.mp4/b', options)).toBe('a.mp4/b.mp4');
  });

  it('cleans the result so a token value cannot escape the prefix', () => {
    const context = { time, roomName: '../../../etc' };
    expect(resolveFilepath('{room_name}/x', { ...options, context })).toBe('etc/x.mp4');
    expect(resolveFilepath('/{room_name}', { ...options, context: { time, roomName: '/abs' } })).toBe('abs.mp4');
  });

  it('uses the track id for a track egress default', () => {
    const context = { time, trackId: 'TR_1' };
    expect(resolveFilepath('', { identifier: 'TR_1', container: 'ogg', context })).toBe('TR_1-2026-11-24T101530.ogg');
  });
});
