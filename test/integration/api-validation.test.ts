import { AccessToken } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture, type LocalFixture } from '#bench/local-fixture.ts';

const file = { fileOutputs: [{ filepath: 'a.mp4' }] };
const field = (name: string): string => `request has missing or invalid field: ${name}`;

/**
 * LiveKit's validation rules (reference §1), each sent over HTTP as a bad request: [name, method, body,
 * Twirp code, message]. Codes and messages are literal, as a user would see them.
 */
const cases: [string, string, object, string, string][] = [
  ['track: nothing', 'StartTrackEgress', {}, 'invalid_argument', field('room_name')],
  [
    'track: no track_id',
    'StartTrackEgress',
    { roomName: 'r', websocketUrl: 'ws://127.0.0.1:9/x' },
    'invalid_argument',
    field('track_id'),
  ],
  ['track: no output', 'StartTrackEgress', { roomName: 'r', trackId: 'TR_1' }, 'invalid_argument', field('output')],
  [
    'track: websocket url not ws(s)',
    'StartTrackEgress',
    { roomName: 'r', trackId: 'TR_1', websocketUrl: 'http://127.0.0.1/x' },
    'invalid_argument',
    'invalid url http://127.0.0.1/{...}: invalid scheme',
  ],
  [
    'track: GCP upload',
    'StartTrackEgress',
    { roomName: 'r', trackId: 'TR_1', file: { filepath: 'x', gcp: { bucket: 'b' } } },
    'invalid_argument',
    field('gcp (only S3 or S3-compatible storage is supported)'),
  ],
  [
    'track: websocket to the metadata address',
    'StartTrackEgress',
    { roomName: 'r', trackId: 'TR_1', websocketUrl: 'ws://169.254.169.254/x' },
    'invalid_argument',
    'stream url ws://169.254.169.254 is not an allowed destination',
  ],
  [
    'track: S3 endpoint at the metadata address',
    'StartTrackEgress',
    {
      roomName: 'r',
      trackId: 'TR_1',
      file: { filepath: 'x', s3: { bucket: 'b', endpoint: 'http://169.254.169.254' } },
    },
    'invalid_argument',
    's3 endpoint http://169.254.169.254 is not an allowed destination',
  ],
  [
    'room composite: S3 endpoint without a scheme, link-local',
    'StartRoomCompositeEgress',
    { roomName: 'r', fileOutputs: [{ filepath: 'x', s3: { bucket: 'b', endpoint: '169.254.170.2:80' } }] },
    'invalid_argument',
    's3 endpoint https://169.254.170.2:80 is not an allowed destination',
  ],
  [
    'track: S3 proxy on the ECS credentials address',
    'StartTrackEgress',
    {
      roomName: 'r',
      trackId: 'TR_1',
      file: { filepath: 'x', s3: { bucket: 'b', proxy: { url: 'http://[fd00:ec2::254]:3128' } } },
    },
    'invalid_argument',
    's3 proxy http://[fd00:ec2::254]:3128 is not an allowed destination',
  ],
  [
    'track: webhook to a link-local address',
    'StartTrackEgress',
    {
      roomName: 'r',
      trackId: 'TR_1',
      websocketUrl: 'ws://127.0.0.1:9/x',
      webhooks: [{ url: 'http://169.254.170.2/v2/credentials' }],
    },
    'invalid_argument',
    'webhook http://169.254.170.2 is not an allowed destination',
  ],
  [
    'track: webhook not http(s)',
    'StartTrackEgress',
    { roomName: 'r', trackId: 'TR_1', websocketUrl: 'ws://127.0.0.1:9/x', webhooks: [{ url: 'ftp://example.com/' }] },
    'invalid_argument',
    field('webhooks.url (must be http(s))'),
  ],
  [
    'track: webhook signed by an unknown key',
    'StartTrackEgress',
    {
      roomName: 'r',
      trackId: 'TR_1',
      websocketUrl: 'ws://127.0.0.1:9/x',
      webhooks: [{ url: 'https://example.com/', signingKey: 'APIunknown' }],
    },
    'invalid_argument',
    field('webhooks.signing_key (unknown API key)'),
  ],
  ['room composite: no outputs', 'StartRoomCompositeEgress', { roomName: 'r' }, 'invalid_argument', field('output')],
  ['room composite: no room', 'StartRoomCompositeEgress', { ...file }, 'invalid_argument', field('room_name')],
  [
    'room composite: audio_only and video_only',
    'StartRoomCompositeEgress',
    { roomName: 'r', audioOnly: true, videoOnly: true, ...file },
    'invalid_argument',
    field('audio_only and video_only'),
  ],
  [
    'room composite: two file outputs',
    'StartRoomCompositeEgress',
    { roomName: 'r', fileOutputs: [{ filepath: 'a' }, { filepath: 'b' }] },
    'invalid_argument',
    field('multiple file outputs'),
  ],
  [
    'room composite: odd width',
    'StartRoomCompositeEgress',
    { roomName: 'r', advanced: { width: 1281, height: 720 }, ...file },
    'invalid_argument',
    field('width'),
  ],
  [
    'room composite: height under 16',
    'StartRoomCompositeEgress',
    { roomName: 'r', advanced: { width: 1280, height: 8 }, ...file },
    'invalid_argument',
    field('height'),
  ],
  [
    'room composite: depth 12',
    'StartRoomCompositeEgress',
    { roomName: 'r', advanced: { depth: 12 }, ...file },
    'invalid_argument',
    field('depth'),
  ],
  [
    'room composite: custom base url not http(s)',
    'StartRoomCompositeEgress',
    { roomName: 'r', customBaseUrl: 'ftp://x/', ...file },
    'invalid_argument',
    field('template base url'),
  ],
  [
    'room composite: RTMP url without stream key',
    'StartRoomCompositeEgress',
    { roomName: 'r', streamOutputs: [{ urls: ['rtmp://host/onlyapp'] }] },
    'invalid_argument',
    'invalid url rtmp://host/{on...pp}: rtmp urls must be of format rtmp(s)://{host}(/{path})/{app}/{stream_key}( live=1)',
  ],
  [
    'room composite: unknown stream scheme',
    'StartRoomCompositeEgress',
    { roomName: 'r', streamOutputs: [{ urls: ['gopher://host/a/b'] }] },
    'invalid_argument',
    'invalid url gopher://host/a/{...}: invalid protocol',
  ],
  [
    'room composite: images without video',
    'StartRoomCompositeEgress',
    { roomName: 'r', audioOnly: true, imageOutputs: [{}] },
    'invalid_argument',
    field('audio_only images'),
  ],
  [
    'room composite: PASSTHROUGH preset',
    'StartRoomCompositeEgress',
    { roomName: 'r', preset: 'PASSTHROUGH', ...file },
    'invalid_argument',
    field('preset'),
  ],
  [
    'room composite: OGG with video',
    'StartRoomCompositeEgress',
    { roomName: 'r', fileOutputs: [{ fileType: 'OGG', filepath: 'x' }] },
    'invalid_argument',
    'no supported codec is compatible with all outputs',
  ],
  [
    'room composite: MP3 to HLS',
    'StartRoomCompositeEgress',
    { roomName: 'r', audioOnly: true, advanced: { audioCodec: 'AC_MP3' }, segmentOutputs: [{ filenamePrefix: 'x' }] },
    'invalid_argument',
    'format application/x-mpegurl incompatible with codec audio/mpeg',
  ],
  [
    'room composite: only a stream output with no urls',
    'StartRoomCompositeEgress',
    { roomName: 'r', streamOutputs: [{ urls: [] }] },
    'invalid_argument',
    field('stream protocol'),
  ],
  ['web: file url', 'StartWebEgress', { url: 'file:///etc/passwd', ...file }, 'invalid_argument', field('web url')],
  ['web: no url', 'StartWebEgress', { ...file }, 'invalid_argument', field('web url')],
  [
    'web: the task credentials endpoint',
    'StartWebEgress',
    { url: 'http://169.254.170.2/v2/credentials', ...file },
    'invalid_argument',
    'page url http://169.254.170.2 is not an allowed destination',
  ],
  [
    'participant: no identity',
    'StartParticipantEgress',
    { roomName: 'r', ...file },
    'invalid_argument',
    field('identity'),
  ],
  [
    'track composite: no track',
    'StartTrackCompositeEgress',
    { roomName: 'r', ...file },
    'invalid_argument',
    field('audio_track_id or video_track_id'),
  ],
  [
    'v2: no source',
    'StartEgress',
    { roomName: 'r', outputs: [{ file: { filepath: 'x' } }] },
    'invalid_argument',
    field('source'),
  ],
  [
    'v2: no outputs',
    'StartEgress',
    { roomName: 'r', template: { layout: 'grid' } },
    'invalid_argument',
    field('output'),
  ],
  [
    'v2: PASSTHROUGH with a template',
    'StartEgress',
    { roomName: 'r', template: { layout: 'grid' }, preset: 'PASSTHROUGH', outputs: [{ file: { filepath: 'x' } }] },
    'invalid_argument',
    field('passthrough source'),
  ],
  [
    'v2: PASSTHROUGH with capture_all',
    'StartEgress',
    { roomName: 'r', media: { audio: { captureAll: true } }, preset: 'PASSTHROUGH', outputs: [{ file: {} }] },
    'invalid_argument',
    field('passthrough capture_all'),
  ],
  [
    'v2: PASSTHROUGH with two outputs',
    'StartEgress',
    {
      roomName: 'r',
      media: { videoTrackId: 'TR_v' },
      preset: 'PASSTHROUGH',
      outputs: [{ file: {} }, { stream: { urls: ['rtmp://h/a/b'] } }],
    },
    'invalid_argument',
    field('passthrough outputs'),
  ],
  [
    'v2: twitch:// url',
    'StartEgress',
    { roomName: 'r', template: { layout: 'grid' }, outputs: [{ stream: { urls: ['twitch://key'] } }] },
    'invalid_argument',
    'invalid url twitch://{k...y}: twitch:// URLs are not supported; use your Twitch ingest URL, rtmps://<ingest>.contribute.live-video.net/app/<stream_key>',
  ],
  [
    'v2: MP3 file of a web page with video',
    'StartEgress',
    { web: { url: 'https://example.com' }, outputs: [{ file: { fileType: 'MP3' } }] },
    'invalid_argument',
    'no supported codec is compatible with all outputs',
  ],
  ['stop: no egress id', 'StopEgress', {}, 'invalid_argument', field('egress_id')],
  ['stop: unknown egress', 'StopEgress', { egressId: 'EG_unknown00000' }, 'not_found', 'egress not found'],
  [
    'update stream: unknown egress',
    'UpdateStream',
    { egressId: 'EG_unknown00000', addOutputUrls: ['rtmp://h/a/b'] },
    'not_found',
    'egress not found',
  ],
  [
    'update layout: unknown egress',
    'UpdateLayout',
    { egressId: 'EG_unknown00000', layout: 'grid' },
    'not_found',
    'egress not found',
  ],
];

describe('request validation over HTTP (LiveKit rules and messages)', () => {
  let livekit: LiveKitServer;
  let local: LocalFixture;
  let auth: string;

  beforeAll(async () => {
    livekit = await startLiveKitServer();
    local = await startLocalFixture(livekit);
    const at = new AccessToken(livekit.apiKey, livekit.apiSecret);
    at.addGrant({ roomRecord: true });
    auth = `Bearer ${await at.toJwt()}`;
  });

  afterAll(async () => {
    await local?.stop();
    await livekit?.stop();
  });

  it.each(cases)('rejects %s', async (_name, method, body, code, message) => {
    const res = await fetch(`${local.system.url}/twirp/livekit.Egress/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: auth },
      body: JSON.stringify(body),
    });
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ code, msg: message });
    expect(res.status).toBe(code === 'not_found' ? 404 : 400);
  });

  it('stored no record for any rejected request', async () => {
    expect(await local.client.listEgress()).toEqual([]);
  });
});
