import { describe, expect, it } from 'vitest';
import { EgressError } from '#domain/errors.ts';
import { validateStreamUrl } from '#domain/request/stream-url.ts';
import { createLogger } from '#shared/logger.ts';
import {
  assertStreamDestination,
  secretParts,
  streamSinkArgs,
  urlRedactor,
  type HostResolver,
} from './stream-sink-args.ts';
import { StreamSink, explainFailure } from './stream-sink.ts';

const rtmp = (url: string) => validateStreamUrl(url, 'rtmp');

/** A resolver that records the names it was asked for and answers from a table. */
function fakeResolver(table: Readonly<Record<string, readonly string[]>>): HostResolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (host: string): Promise<readonly string[]> => {
    asked.push(host);
    const answer = table[host];
    if (answer === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return Promise.resolve(answer);
  };
  return Object.assign(resolve, { asked });
}

describe('assertStreamDestination', () => {
  it('rejects a blocked IP literal without any lookup', async () => {
    const resolve = fakeResolver({});
    const err = await assertStreamDestination(rtmp('rtmp://169.254.170.2/app/key123456'), resolve).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EgressError);
    expect((err as EgressError).code).toBe('invalid_argument');
    expect((err as EgressError).message).toBe('stream rtmp://169.254.170.2 is not an allowed destination');
    expect(resolve.asked).toEqual([]);
  });

  it('rejects metadata host names and IPv6 link-local literals without any lookup', async () => {
    const resolve = fakeResolver({});
    await expect(assertStreamDestination(rtmp('rtmp://metadata.google.internal/app/k'), resolve)).rejects.toThrow(
      /not an allowed destination/,
    );
    await expect(assertStreamDestination(rtmp('rtmps://[fe80::1]:443/app/k'), resolve)).rejects.toThrow(
      /not an allowed destination/,
    );
    expect(resolve.asked).toEqual([]);
  });

  it('rejects a host name when any of its addresses is blocked', async () => {
    const resolve = fakeResolver({ 'ingest.example': ['192.0.2.10', '169.254.169.254'] });
    await expect(assertStreamDestination(rtmp('rtmp://ingest.example/live/key'), resolve)).rejects.toThrow(
      'stream rtmp://ingest.example is not an allowed destination',
    );
    expect(resolve.asked).toEqual(['ingest.example']);
  });

  it('rejects an unresolvable host as the destination’s fault', async () => {
    const err = await assertStreamDestination(rtmp('rtmp://nowhere.example/live/key'), fakeResolver({})).catch(
      (e: unknown) => e,
    );
    expect((err as EgressError).code).toBe('unavailable');
    expect((err as EgressError).fault).toBe('destination');
  });

  it('allows loopback, public names and SRT URLs', async () => {
    const resolve = fakeResolver({ 'ingest.example': ['192.0.2.10'] });
    await assertStreamDestination(rtmp('rtmp://127.0.0.1:1935/live/key'), resolve);
    await assertStreamDestination(rtmp('rtmps://ingest.example/live/key live=1'), resolve);
    await assertStreamDestination(validateStreamUrl('srt://ingest.example:9000?streamid=abc', 'srt'), resolve);
    expect(resolve.asked).toEqual(['ingest.example', 'ingest.example']);
  });
});

describe('StreamSink.open', () => {
  it('rejects a blocked destination before starting ffmpeg', async () => {
    const lines: string[] = [];
    const logger = createLogger({}, { level: 'debug', write: (line) => lines.push(line) });
    const resolve = fakeResolver({});
    const opening = StreamSink.open({
      target: rtmp('rtmp://169.254.170.2/app/key'),
      protocol: 'rtmp',
      logger,
      resolve,
    });
    await expect(opening).rejects.toThrow('not an allowed destination');
    expect(resolve.asked).toEqual([]);
    // ffmpeg's output would be logged by the publisher's process logger: nothing was.
    expect(lines.filter((l) => l.includes('ffmpeg'))).toEqual([]);
  });
});

describe('streamSinkArgs', () => {
  it('copies MPEG-TS into FLV for RTMP, without the librtmp live=1 suffix', () => {
    const args = streamSinkArgs('rtmp', 'rtmp://h/live/key live=1');
    expect(args.slice(-7)).toEqual([
      '-c',
      'copy',
      '-flvflags',
      'no_duration_filesize',
      '-f',
      'flv',
      'rtmp://h/live/key',
    ]);
    expect(args).toContain('-progress');
    expect(args.join(' ')).toContain('-analyzeduration 1000000 -f mpegts -i pipe:0');
  });

  it('copies MPEG-TS as it is for SRT', () => {
    expect(streamSinkArgs('srt', 'srt://h:9000?streamid=x').slice(-3)).toEqual([
      '-f',
      'mpegts',
      'srt://h:9000?streamid=x',
    ]);
  });
});

describe('secret redaction', () => {
  it('masks the URL, its key, query values and a password in any text', () => {
    const target = rtmp('rtmp://user:hunter22@h/live/sk_live_123456');
    expect(secretParts(target.url)).toEqual(expect.arrayContaining(['sk_live_123456', 'hunter22']));
    const redact = urlRedactor(target);
    const text = redact(`Output #0, flv, to '${target.url}' (key sk_live_123456, pass hunter22)`);
    expect(text).not.toMatch(/sk_live_123456|hunter22/);
    expect(text).toContain(target.redactedUrl);
    const srt = validateStreamUrl('srt://h:9000?streamid=publish:cam&passphrase=verysecret', 'srt');
    expect(urlRedactor(srt)('srt://h:9000 passphrase verysecret streamid publish:cam')).toBe(
      'srt://h:9000 passphrase *** streamid ***',
    );
  });
});

describe('explainFailure', () => {
  it('picks the line that says why, without the context prefix', () => {
    const lines = [
      '[tcp @ 0x5649fe7428c0] Connection to tcp://127.0.0.1:19351?tcp_nodelay=0 failed: Connection refused',
      '[rtmp @ 0x5649fe7a4600] Cannot open connection tcp://127.0.0.1:19351?tcp_nodelay=0',
    ];
    expect(explainFailure(lines)).toBe('Connection to tcp://127.0.0.1:19351?tcp_nodelay=0 failed: Connection refused');
    expect(
      explainFailure([
        '[flv @ 0x55] Failed to update header with correct duration.',
        'av_interleaved_write_frame(): Broken pipe',
      ]),
    ).toBe('av_interleaved_write_frame(): Broken pipe');
    expect(explainFailure([])).toBeUndefined();
  });
});
