import { describe, expect, it } from 'vitest';
import { chooseCodecs, trackFileContainer } from './codecs.ts';
import { errorOf } from './request-fixtures.ts';

describe('chooseCodecs', () => {
  it('takes each format default in output order', () => {
    expect(chooseCodecs({ audio: true, video: true, formats: ['video/mp4', 'application/x-mpegurl'] })).toEqual({
      audioCodec: 'aac',
    });
    expect(chooseCodecs({ audio: true, video: false, formats: ['audio/ogg'] })).toEqual({ audioCodec: 'opus' });
    expect(chooseCodecs({ audio: true, video: false, formats: ['audio/mpeg'] })).toEqual({ audioCodec: 'mp3' });
  });

  it('keeps a codec the request fixed when every output takes it', () => {
    expect(chooseCodecs({ audio: true, video: true, audioCodec: 'opus', formats: ['video/mp4'] })).toEqual({
      audioCodec: 'opus',
    });
  });

  it('resolves DEFAULT_FILETYPE', () => {
    expect(chooseCodecs({ audio: true, video: true, formats: ['auto'] }).fileContainer).toBe('mp4');
    expect(chooseCodecs({ audio: false, video: true, formats: ['auto'] }).fileContainer).toBe('mp4');
    expect(chooseCodecs({ audio: true, video: false, formats: ['auto'] })).toEqual({
      audioCodec: 'opus',
      fileContainer: 'ogg',
    });
    expect(chooseCodecs({ audio: true, video: false, audioCodec: 'aac', formats: ['auto'] }).fileContainer).toBe('mp4');
    expect(chooseCodecs({ audio: true, video: false, audioCodec: 'mp3', formats: ['auto'] }).fileContainer).toBe('mp3');
  });

  it('rejects a DEFAULT_FILETYPE file beside a WebSocket', () => {
    expect(
      errorOf(() => chooseCodecs({ audio: true, video: false, audioCodec: 'pcm', formats: ['auto'] })).message,
    ).toBe('format file incompatible with codec audio/x-raw');
  });

  it('needs no codec for images alone', () => {
    expect(chooseCodecs({ audio: false, video: true, formats: [] })).toEqual({ audioCodec: 'aac' });
  });
});

describe('trackFileContainer', () => {
  it('writes Opus and G.711 to OGG, H.264 to MP4, VP8 and VP9 to WebM', () => {
    expect(['audio/opus', 'audio/PCMU', 'audio/pcma'].map(trackFileContainer)).toEqual(['ogg', 'ogg', 'ogg']);
    expect(trackFileContainer('video/H264')).toBe('mp4');
    expect(['video/vp8', 'video/VP9'].map(trackFileContainer)).toEqual(['webm', 'webm']);
  });

  it('rejects a codec with no container', () => {
    expect(errorOf(() => trackFileContainer('video/AV1')).message).toBe('video/AV1 is not yet supported');
  });
});
