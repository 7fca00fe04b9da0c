import {
  AliOSSUpload,
  AzureBlobUpload,
  DirectFileOutput,
  GCPUpload,
  ProxyConfig,
  StreamOutput,
  WebhookConfig,
} from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import type { EgressRequest } from './egress-request.ts';
import { redactIdentifier, redactQueryValues, redactRequest, redactUrl } from './redact.ts';
import {
  fileOutput,
  imageOutput,
  participant,
  roomComposite,
  s3,
  segmentsOutput,
  track,
  trackComposite,
  v2,
  web,
} from './request-fixtures.ts';

/** Every secret in the fixtures below; none may survive redaction. */
const secrets = {
  accessKey: 'AKIASECRETACCESS1',
  secret: 'S3SECRETVALUE',
  sessionToken: 'SESSIONTOKENVALUE',
  externalId: 'EXTERNALIDVALUE',
  proxyPassword: 'PROXYPASSWORD',
  proxyUrlPassword: 'URLPASSWORD',
  gcpCredentials: 'GCPSERVICEACCOUNTJSON',
  azureName: 'AZUREACCOUNTNAME',
  azureKey: 'AZUREACCOUNTKEY',
  aliKey: 'ALIACCESSKEY',
  aliSecret: 'ALISECRETVALUE',
  rtmpKey: 'RTMPSTREAMKEY',
  muxKey: 'MUXSTREAMKEY',
  twitchKey: 'TWITCHSTREAMKEY',
  srtPassphrase: 'SRTPASSPHRASE',
  wsToken: 'WSTOKENVALUE',
  rtmpPassword: 'RTMPUSERPASSWORD',
};

const fullS3 = () =>
  s3({
    accessKey: secrets.accessKey,
    secret: secrets.secret,
    sessionToken: secrets.sessionToken,
    assumeRoleArn: 'arn:aws:iam::123456789012:role/rec',
    assumeRoleExternalId: secrets.externalId,
    proxy: new ProxyConfig({
      url: `http://proxyuser:${secrets.proxyUrlPassword}@proxy.internal:3128`,
      username: 'proxyuser',
      password: secrets.proxyPassword,
    }),
  });
const gcp = () =>
  new GCPUpload({ credentials: secrets.gcpCredentials, bucket: 'b', proxy: { password: secrets.proxyPassword } });
const azure = () => new AzureBlobUpload({ accountName: secrets.azureName, accountKey: secrets.azureKey });
const ali = () => new AliOSSUpload({ accessKey: secrets.aliKey, secret: secrets.aliSecret });
const streams = () =>
  new StreamOutput({
    urls: [
      `rtmps://live.example.com/app/${secrets.rtmpKey}`,
      `mux://${secrets.muxKey}`,
      `twitch://${secrets.twitchKey}`,
      `srt://ingest.example.com:9000?streamid=abc&passphrase=${secrets.srtPassphrase}`,
      `rtmp://user:${secrets.rtmpPassword}@live.example.com/app/${secrets.rtmpKey}`,
    ],
  });

function leaks(request: EgressRequest): string[] {
  const json = JSON.stringify(redactRequest(request).value.toJson());
  return Object.values(secrets).filter((secret) => json.includes(secret));
}

describe('redactRequest', () => {
  it('redacts every upload and stream secret of a v1 room composite', () => {
    const request = roomComposite({
      fileOutputs: [fileOutput({ output: { case: 's3', value: fullS3() } })],
      streamOutputs: [streams()],
      segmentOutputs: [segmentsOutput({ output: { case: 'gcp', value: gcp() } })],
      imageOutputs: [
        imageOutput({ output: { case: 'azure', value: azure() } }),
        imageOutput({ output: { case: 'aliOSS', value: ali() } }),
      ],
      output: { case: 'segments', value: segmentsOutput({ output: { case: 's3', value: fullS3() } }) },
    });
    const raw = JSON.stringify(request.value.toJson());
    // The fixture holds every secret but the WebSocket token, so the check below can fail.
    expect(Object.values(secrets).filter((secret) => !raw.includes(secret))).toEqual([secrets.wsToken]);
    expect(leaks(request)).toEqual([]);
  });

  it('redacts every v1 request type', () => {
    const upload = { output: { case: 's3' as const, value: fullS3() } };
    expect(leaks(web({ fileOutputs: [fileOutput(upload)], streamOutputs: [streams()] }))).toEqual([]);
    expect(leaks(participant({ fileOutputs: [fileOutput(upload)], streamOutputs: [streams()] }))).toEqual([]);
    expect(leaks(trackComposite({ segmentOutputs: [segmentsOutput(upload)], streamOutputs: [streams()] }))).toEqual([]);
    const direct = new DirectFileOutput({ filepath: 'x', output: { case: 'aliOSS', value: ali() } });
    expect(leaks(track({ output: { case: 'file', value: direct } }))).toEqual([]);
  });

  it('redacts WebSocket query values of a track egress', () => {
    const url = `wss://audio.example.com/in?token=${secrets.wsToken}&mode=pcm`;
    const redacted = redactRequest(track({ output: { case: 'websocketUrl', value: url } }));
    expect(redacted.case === 'track' && redacted.value.output.value).toBe(
      'wss://audio.example.com/in?token={...}&mode={...}',
    );
  });

  it('redacts request storage, output storage, stream URLs and inline uploads of a v2 request', () => {
    const request = v2({
      storage: { provider: { case: 's3', value: fullS3() } },
      outputs: [
        { config: { case: 'file', value: {} }, storage: { provider: { case: 'gcp', value: gcp() } } },
        { config: { case: 'stream', value: streams() } },
        { config: { case: 'segments', value: { output: { case: 'azure', value: azure() } } } },
        { config: { case: 'images', value: {} }, storage: { provider: { case: 'aliOSS', value: ali() } } },
      ],
    });
    expect(leaks(request)).toEqual([]);
  });

  it('replaces secrets with LiveKit placeholders and keeps other fields', () => {
    const hook = new WebhookConfig({ url: 'https://hooks.example.com/', signingKey: 'APIkeyName' });
    const redacted = redactRequest(
      roomComposite({ fileOutputs: [fileOutput({ output: { case: 's3', value: fullS3() } })], webhooks: [hook] }),
    );
    if (redacted.case !== 'roomComposite') throw new Error('case changed');
    const upload = redacted.value.fileOutputs[0]?.output;
    expect(upload?.case === 's3' && upload.value).toMatchObject({
      accessKey: '{access_key}',
      secret: '{secret}',
      sessionToken: '{session_token}',
      assumeRoleExternalId: '{external_id}',
      assumeRoleArn: 'arn:aws:iam::123456789012:role/rec',
      bucket: 'recordings',
      proxy: { username: 'proxyuser', password: '{password}', url: 'http://proxyuser:{...}@proxy.internal:3128' },
    });
    expect(redacted.value.webhooks[0]?.signingKey).toBe('APIkeyName');
    expect(redacted.value.roomName).toBe('demo');
  });

  it('leaves empty secrets empty', () => {
    const redacted = redactRequest(
      roomComposite({ fileOutputs: [fileOutput({ output: { case: 's3', value: s3() } })] }),
    );
    if (redacted.case !== 'roomComposite') throw new Error('case changed');
    expect(redacted.value.fileOutputs[0]?.output.value).toMatchObject({ accessKey: '', secret: '' });
  });

  it('never changes its input', () => {
    const request = roomComposite({
      fileOutputs: [fileOutput({ output: { case: 's3', value: fullS3() } })],
      streamOutputs: [streams()],
    });
    const before = JSON.stringify(request.value.toJson());
    redactRequest(request);
    expect(JSON.stringify(request.value.toJson())).toBe(before);
  });
});

describe('redactUrl', () => {
  it('redacts stream keys as LiveKit does', () => {
    expect(redactUrl('rtmps://foo.bar.com/app/secret_stream_key')).toBe('rtmps://foo.bar.com/app/{sec...key}');
    expect(redactUrl('mux://8e0b1b9c-50a2-d893-ec0a-102056d112ae')).toBe('mux://{8e0...2ae}');
    expect(redactUrl('twitch://live_12345678_abcdefghijklmnop')).toBe('twitch://{liv...nop}');
    expect(redactUrl('srt://foo.bar.com:9999')).toBe('srt://foo.bar.com:9999');
    expect(redactUrl('srt://foo.bar.com:9999?streamid=124939da-5244&passphrase=WnxknzJTUbwYl9SpdqAudX')).toBe(
      'srt://foo.bar.com:9999?streamid={...}&passphrase={...}',
    );
    expect(redactUrl('rtmp://localhost:1935/live/streamkey live=1')).toBe(
      'rtmp://localhost:1935/live/{str...key} live=1',
    );
  });

  it('redacts a user-info password', () => {
    expect(redactUrl('rtmp://u:pw@h/app/streamkey')).toBe('rtmp://u:{...}@h/app/{str...key}');
  });

  it('shortens what it keeps of short keys', () => {
    expect(redactIdentifier('abcdefghi')).toBe('{abc...ghi}');
    expect(redactIdentifier('abcdef')).toBe('{ab...ef}');
    expect(redactIdentifier('abc')).toBe('{a...c}');
    expect(redactIdentifier('ab')).toBe('{...}');
  });

  it('keeps query names and empty values', () => {
    expect(redactQueryValues('ws://h/p?a=1&b=&c')).toBe('ws://h/p?a={...}&b=&c');
    expect(redactQueryValues('ws://h/p?')).toBe('ws://h/p?');
  });
});
