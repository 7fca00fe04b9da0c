import { describe, expect, it } from 'vitest';
import { errorOf } from './request-fixtures.ts';
import { protocolOfUrl, urlScheme, validateStreamUrl } from './stream-url.ts';

describe('validateStreamUrl', () => {
  it('accepts RTMP(S) URLs with app and key, redacting the key', () => {
    expect(validateStreamUrl('rtmp://localhost:1935/live/streamkey', 'rtmp')).toEqual({
      url: 'rtmp://localhost:1935/live/streamkey',
      redactedUrl: 'rtmp://localhost:1935/live/{str...key}',
    });
    expect(validateStreamUrl('rtmps://a.rtmp.youtube.com/live2/app/k3y-abc', 'rtmp').redactedUrl).toBe(
      'rtmps://a.rtmp.youtube.com/live2/app/{k3...bc}',
    );
  });

  it('rewrites mux:// to Mux RTMPS ingest', () => {
    expect(validateStreamUrl('mux://streamkey', 'rtmp')).toEqual({
      url: 'rtmps://global-live.mux.com:443/app/streamkey',
      redactedUrl: 'rtmps://global-live.mux.com:443/app/{str...key}',
    });
  });

  it('accepts SRT and WebSocket URLs as they are, showing them without query values', () => {
    expect(validateStreamUrl('srt://h:9000?streamid=s&passphrase=p', 'srt')).toEqual({
      url: 'srt://h:9000?streamid=s&passphrase=p',
      redactedUrl: 'srt://h:9000?streamid={...}&passphrase={...}',
    });
    expect(validateStreamUrl('ws://127.0.0.1:8080/pcm', 'websocket').url).toBe('ws://127.0.0.1:8080/pcm');
  });

  it('rejects a scheme of another protocol', () => {
    expect(errorOf(() => validateStreamUrl('wss://h/p', 'rtmp')).message).toBe(
      'invalid url wss://h/{...}: invalid scheme',
    );
  });

  it('rejects RTMP URLs the LiveKit pattern does not match', () => {
    for (const url of ['rtmp://h/key', 'RTMP://h/app/key', 'rtmp://h']) {
      expect(errorOf(() => validateStreamUrl(url, 'rtmp')).message).toContain(
        ': rtmp urls must be of format rtmp(s)://{host}(/{path})/{app}/{stream_key}( live=1)',
      );
    }
  });

  it('rejects twitch:// without any network lookup', () => {
    const error = errorOf(() => validateStreamUrl('twitch://live_123456789', 'rtmp'));
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toMatch(/^invalid url twitch:\/\/\{liv\.\.\.789\}: twitch:\/\/ URLs are not supported; use/);
  });

  it('rejects control characters', () => {
    expect(errorOf(() => validateStreamUrl('rtmp://h/app/key\n', 'rtmp')).message).toBe(
      'invalid url rtmp://h/app/{k...y}: invalid control character in URL',
    );
  });
});

describe('protocolOfUrl', () => {
  it('maps schemes to protocols, case-insensitively', () => {
    expect(['rtmp://h/a/k', 'RTMPS://h/a/k', 'mux://k', 'twitch://k'].map(protocolOfUrl)).toEqual([
      'rtmp',
      'rtmp',
      'rtmp',
      'rtmp',
    ]);
    expect(protocolOfUrl('srt://h:1')).toBe('srt');
    expect(protocolOfUrl('ws://h')).toBe('websocket');
    expect(protocolOfUrl('wss://h')).toBe('websocket');
  });

  it('rejects an unknown scheme', () => {
    expect(errorOf(() => protocolOfUrl('http://h/live?key=secret')).message).toBe(
      'invalid url http://h/live?key={...}: invalid protocol',
    );
    expect(urlScheme('no-scheme')).toBe('');
  });
});
