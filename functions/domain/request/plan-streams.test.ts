import { DirectFileOutput, EncodingOptions, StreamOutput, StreamProtocol } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { resolvePlan } from './plan.ts';
import { errorOf, fileOutput, roomComposite, rtmpOutput, segmentsOutput, track, v2 } from './request-fixtures.ts';

const rtmpFormat = 'rtmp urls must be of format rtmp(s)://{host}(/{path})/{app}/{stream_key}( live=1)';

describe('resolvePlan: stream outputs', () => {
  it('resolves RTMP, SRT and WebSocket protocols from the first URL scheme', () => {
    const protocolOf = (url: string): string | undefined =>
      resolvePlan(roomComposite({ audioOnly: true, fileOutputs: [], streamOutputs: [rtmpOutput([url])] })).outputs
        .stream?.protocol;
    expect(protocolOf('rtmps://live.example.com/app/key')).toBe('rtmp');
    expect(protocolOf('mux://abcdef')).toBe('rtmp');
    expect(protocolOf('srt://ingest.example.com:9000?streamid=x')).toBe('srt');
    expect(protocolOf('wss://audio.example.com/in')).toBe('websocket');
  });

  it('rewrites mux:// to Mux RTMPS ingest and keeps the key out of the shown URL', () => {
    const plan = resolvePlan(roomComposite({ streamOutputs: [rtmpOutput(['mux://streamkey'])] }));
    expect(plan.outputs.stream?.urls).toEqual([
      {
        url: 'rtmps://global-live.mux.com:443/app/streamkey',
        redactedUrl: 'rtmps://global-live.mux.com:443/app/{str...key}',
      },
    ]);
  });

  it('keeps one stream per distinct URL', () => {
    const url = 'rtmp://live.example.com/app/streamkey';
    const plan = resolvePlan(roomComposite({ streamOutputs: [rtmpOutput([url, url])] }));
    expect(plan.outputs.stream?.urls.map((u) => u.url)).toEqual([url]);
  });

  it('rejects an RTMP URL without app and key, without showing the key', () => {
    const error = errorOf(() =>
      resolvePlan(roomComposite({ streamOutputs: [rtmpOutput(['rtmp://live.example.com/streamkey'])] })),
    );
    expect({ code: error.code, message: error.message }).toEqual({
      code: 'invalid_argument',
      message: `invalid url rtmp://live.example.com/{str...key}: ${rtmpFormat}`,
    });
  });

  it('rejects twitch:// with a message naming the rtmps URL to use', () => {
    const error = errorOf(() => resolvePlan(roomComposite({ streamOutputs: [rtmpOutput(['twitch://live_123456'])] })));
    expect(error.code).toBe('invalid_argument');
    expect(error.message).toContain('invalid url twitch://{liv...456}');
    expect(error.message).toContain('rtmps://<ingest>.contribute.live-video.net/app/<stream_key>');
    expect(error.message).not.toContain('live_123456');
  });

  it('accepts a Twitch ingest URL as it is (no network rewrite)', () => {
    const url = 'rtmps://lax.contribute.live-video.net/app/live_123456';
    const plan = resolvePlan(roomComposite({ streamOutputs: [rtmpOutput([url])] }));
    expect(plan.outputs.stream?.urls[0]?.url).toBe(url);
  });

  it('rejects an unknown first URL scheme as an invalid protocol', () => {
    const error = errorOf(() => resolvePlan(roomComposite({ streamOutputs: [rtmpOutput(['https://x.test/a'])] })));
    expect(error.message).toBe('invalid url https://x.test/{...}: invalid protocol');
  });

  it('rejects URLs of different protocols in one stream output', () => {
    const urls = ['rtmp://live.example.com/app/key1', 'srt://ingest.example.com:9000'];
    const error = errorOf(() => resolvePlan(roomComposite({ streamOutputs: [rtmpOutput(urls)] })));
    expect(error.message).toBe('invalid url srt://ingest.example.com:9000: invalid scheme');
  });

  it('rejects an explicit protocol given a URL of another scheme', () => {
    const stream = new StreamOutput({ protocol: StreamProtocol.SRT, urls: ['rtmp://live.example.com/app/key'] });
    const error = errorOf(() => resolvePlan(roomComposite({ streamOutputs: [stream] })));
    expect(error.message).toBe('invalid url rtmp://live.example.com/app/{k...y}: invalid scheme');
  });

  it('rejects a stream output with no URL and no protocol', () => {
    const error = errorOf(() => resolvePlan(roomComposite({ streamOutputs: [new StreamOutput()] })));
    expect(error.message).toBe('request has missing or invalid field: stream protocol');
  });

  it('rejects a v1 stream output with no URL as the only output', () => {
    const empty = new StreamOutput({ protocol: StreamProtocol.RTMP });
    const error = errorOf(() => resolvePlan(roomComposite({ fileOutputs: [], streamOutputs: [empty] })));
    expect(error.message).toBe('request has missing or invalid field: stream url');
  });

  it('rejects a v2 stream output with no URL as the only output', () => {
    const stream = { config: { case: 'stream' as const, value: { protocol: StreamProtocol.RTMP } } };
    const error = errorOf(() => resolvePlan(v2({ outputs: [stream] })));
    expect(error.message).toBe('request has missing or invalid field: output');
  });

  it('accepts a stream output with no URL beside a file (URLs come with UpdateStream)', () => {
    const empty = new StreamOutput({ protocol: StreamProtocol.RTMP });
    const plan = resolvePlan(roomComposite({ fileOutputs: [fileOutput()], streamOutputs: [empty] }));
    expect(plan.outputs.stream).toEqual({ protocol: 'rtmp', urls: [] });
  });

  it('rejects a track websocket_url that is not ws(s)', () => {
    const error = errorOf(() =>
      resolvePlan(track({ output: { case: 'websocketUrl', value: 'https://audio.example.com/in?token=t0ps3cret' } })),
    );
    expect(error.message).toBe('invalid url https://audio.example.com/in?token={...}: invalid scheme');
  });

  it('drops the video of a v2 audio+video source sent to a WebSocket', () => {
    const ws = { config: { case: 'stream' as const, value: { urls: ['wss://audio.example.com/in'] } } };
    const plan = resolvePlan(v2({ outputs: [ws] }));
    expect({ audio: plan.audio, video: plan.video }).toEqual({ audio: true, video: false });
    expect(plan.encoding).toMatchObject({ audioCodec: 'pcm', audioFrequency: 48000 });
  });

  it('rejects a v1 audio+video source sent to a WebSocket', () => {
    const error = errorOf(() =>
      resolvePlan(roomComposite({ fileOutputs: [], streamOutputs: [rtmpOutput(['ws://audio.example.com/in'])] })),
    );
    expect(error.message).toBe('format audio/x-raw incompatible with codec video/h264');
  });

  it('sends a track egress to a WebSocket without encoding, audio only', () => {
    const plan = resolvePlan(track({ output: { case: 'websocketUrl', value: 'wss://audio.example.com/in' } }));
    expect(plan.encoding).toBeUndefined();
    expect({ audio: plan.audio, video: plan.video }).toEqual({ audio: true, video: false });
    expect(plan.outputs.stream?.protocol).toBe('websocket');
  });

  it('writes a track egress file as it arrives, container decided later', () => {
    const plan = resolvePlan(track({ output: { case: 'file', value: new DirectFileOutput({ filepath: '' }) } }));
    expect(plan.encoding).toBe('passthrough');
    expect(plan.outputs.file?.fileType).toBe('auto');
    expect(plan.fileIdentifier).toBe('TR_abc');
  });
});

describe('resolvePlan: keyframe interval', () => {
  const kfi = (keyFrameInterval: number) => ({
    case: 'advanced' as const,
    value: new EncodingOptions({ keyFrameInterval }),
  });
  const keyframes = (plan: ReturnType<typeof resolvePlan>): number | undefined =>
    plan.encoding === undefined || plan.encoding === 'passthrough' ? NaN : plan.encoding.keyFrameIntervalSec;

  it('defaults streams to 4 s', () => {
    expect(keyframes(resolvePlan(roomComposite({ streamOutputs: [rtmpOutput()] })))).toBe(4);
  });

  it('keeps an explicit interval for streams', () => {
    expect(keyframes(resolvePlan(roomComposite({ options: kfi(2), streamOutputs: [rtmpOutput()] })))).toBe(2);
  });

  it('leaves file-only output to the encoder unless set', () => {
    expect(keyframes(resolvePlan(roomComposite()))).toBeUndefined();
    expect(keyframes(resolvePlan(roomComposite({ options: kfi(3) })))).toBe(3);
  });

  it('follows the segment duration with segments', () => {
    const plan = resolvePlan(roomComposite({ options: kfi(2), segmentOutputs: [segmentsOutput()] }));
    expect(keyframes(plan)).toBe(4);
    expect(plan.outputs.segments?.segmentDurationSec).toBe(4);
  });

  it('shortens segments to a stream keyframe interval with segments and a stream', () => {
    const plan = resolvePlan(
      roomComposite({ options: kfi(2), streamOutputs: [rtmpOutput()], segmentOutputs: [segmentsOutput()] }),
    );
    expect(plan.outputs.segments?.segmentDurationSec).toBe(2);
    expect(keyframes(plan)).toBe(2);
  });
});
