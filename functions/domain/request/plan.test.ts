import {
  AudioChannel,
  AudioMixing,
  EgressSourceType,
  EncodedFileOutput,
  EncodingOptions,
  EncodingOptionsPreset,
  ImageOutput,
  ParticipantInfo_Kind,
  SegmentedFileOutput,
  StreamOutput,
  VideoCodec,
  WebhookConfig,
} from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { resolvePlan } from './plan.ts';
import { imageOutput, participant, roomComposite, s3, segmentsOutput, track, v2, web } from './request-fixtures.ts';

describe('resolvePlan: a room composite with defaults', () => {
  it('plans the whole egress', () => {
    const hook = new WebhookConfig({ url: 'https://hooks.example.com/egress', signingKey: 'APIkey1' });
    const plan = resolvePlan(roomComposite({ webhooks: [hook] }));
    expect(plan).toEqual({
      requestType: 'room_composite',
      roomName: 'demo',
      sourceType: EgressSourceType.WEB,
      source: { kind: 'template', layout: 'grid', baseUrl: undefined, audioMixing: AudioMixing.DEFAULT_MIXING },
      audio: true,
      video: true,
      encoding: {
        width: 1280,
        height: 720,
        depth: 24,
        framerate: 30,
        audioCodec: 'aac',
        audioBitrateKbps: 128,
        audioFrequency: 44100,
        videoCodec: 'h264_main',
        videoBitrateKbps: 3000,
      },
      outputs: {
        file: { fileType: 'mp4', filepath: 'rec/{room_name}-{time}.mp4', disableManifest: false, storage: undefined },
        stream: undefined,
        segments: undefined,
        images: [],
      },
      fileIdentifier: 'demo',
      webhooks: [hook],
    });
  });

  it('uses the SDK audio mixer for audio only without layout or base URL', () => {
    const plan = resolvePlan(
      roomComposite({ audioOnly: true, layout: '', audioMixing: AudioMixing.DUAL_CHANNEL_AGENT }),
    );
    expect(plan.sourceType).toBe(EgressSourceType.SDK);
    expect(plan.source).toMatchObject({ kind: 'template', audioMixing: AudioMixing.DUAL_CHANNEL_AGENT });
  });

  it('keeps a custom base URL', () => {
    const plan = resolvePlan(roomComposite({ customBaseUrl: 'https://templates.example.com/t?x=1' }));
    expect(plan.source).toMatchObject({ baseUrl: 'https://templates.example.com/t?x=1' });
  });
});

describe('resolvePlan: encoding', () => {
  it('applies every preset', () => {
    const sizes = [
      [EncodingOptionsPreset.H264_720P_30, 1280, 720, 30, 3000],
      [EncodingOptionsPreset.H264_720P_60, 1280, 720, 60, 4500],
      [EncodingOptionsPreset.H264_1080P_30, 1920, 1080, 30, 4500],
      [EncodingOptionsPreset.H264_1080P_60, 1920, 1080, 60, 6000],
      [EncodingOptionsPreset.PORTRAIT_H264_720P_30, 720, 1280, 30, 3000],
      [EncodingOptionsPreset.PORTRAIT_H264_720P_60, 720, 1280, 60, 4500],
      [EncodingOptionsPreset.PORTRAIT_H264_1080P_30, 1080, 1920, 30, 4500],
      [EncodingOptionsPreset.PORTRAIT_H264_1080P_60, 1080, 1920, 60, 6000],
    ] as const;
    for (const [preset, width, height, framerate, videoBitrateKbps] of sizes) {
      const plan = resolvePlan(web({ options: { case: 'preset', value: preset } }));
      expect(plan.encoding).toMatchObject({ width, height, framerate, videoBitrateKbps, videoCodec: 'h264_main' });
    }
  });

  it('fills unset advanced fields with the code defaults', () => {
    const options = new EncodingOptions({
      width: 640,
      height: 360,
      videoCodec: VideoCodec.H264_HIGH,
      audioFrequency: 48000,
    });
    const plan = resolvePlan(participant({ options: { case: 'advanced', value: options } }));
    expect(plan.encoding).toEqual({
      width: 640,
      height: 360,
      depth: 24,
      framerate: 30,
      audioCodec: 'aac',
      audioBitrateKbps: 128,
      audioFrequency: 48000,
      videoCodec: 'h264_high',
      videoBitrateKbps: 3000,
    });
  });
});

describe('resolvePlan: outputs', () => {
  it('maps the deprecated single file, stream and segments fields into the outputs', () => {
    const file = resolvePlan(
      roomComposite({ fileOutputs: [], output: { case: 'file', value: new EncodedFileOutput() } }),
    );
    expect(file.outputs.file).toMatchObject({ fileType: 'mp4', filepath: '' });
    const stream = new StreamOutput({ urls: ['rtmp://live.example.com/app/key'] });
    const streamed = resolvePlan(web({ fileOutputs: [], output: { case: 'stream', value: stream } }));
    expect(streamed.outputs.stream?.protocol).toBe('rtmp');
    const segmented = resolvePlan(
      web({ fileOutputs: [], output: { case: 'segments', value: new SegmentedFileOutput() } }),
    );
    expect(segmented.outputs.segments).toBeDefined();
  });

  it('applies segment defaults', () => {
    const plan = resolvePlan(roomComposite({ fileOutputs: [], segmentOutputs: [new SegmentedFileOutput()] }));
    expect(plan.outputs.segments).toEqual({
      protocol: 'hls',
      filenamePrefix: '',
      playlistName: '',
      livePlaylistName: '',
      segmentDurationSec: 4,
      suffix: 'index',
      disableManifest: false,
      storage: undefined,
    });
  });

  it('sizes images like the encoding for web sources and like the track for SDK sources', () => {
    const options = { case: 'preset' as const, value: EncodingOptionsPreset.H264_1080P_30 };
    const webPlan = resolvePlan(web({ options, imageOutputs: [new ImageOutput()] }));
    expect(webPlan.outputs.images).toEqual([
      {
        captureIntervalSec: 10,
        width: 1920,
        height: 1080,
        filenamePrefix: '',
        suffix: 'index',
        codec: 'jpeg',
        disableManifest: false,
        storage: undefined,
      },
    ]);
    const sdkPlan = resolvePlan(participant({ options, imageOutputs: [imageOutput({ width: 320 })] }));
    expect(sdkPlan.outputs.images[0]).toMatchObject({ width: 320, height: undefined });
  });

  it('takes storage from the output, then the request, then the deployment', () => {
    const own = { provider: { case: 's3' as const, value: s3({ bucket: 'own' }) } };
    const shared = { provider: { case: 's3' as const, value: s3({ bucket: 'shared' }) } };
    const plan = resolvePlan(
      v2({
        storage: shared,
        outputs: [{ config: { case: 'file', value: {} }, storage: own }, { config: { case: 'segments', value: {} } }],
      }),
    );
    expect(plan.outputs.file?.storage?.bucket).toBe('own');
    expect(plan.outputs.segments?.storage?.bucket).toBe('shared');
    expect(resolvePlan(v2()).outputs.file?.storage).toBeUndefined();
  });

  it('cleans paths and leaves tokens for the task', () => {
    const file = new EncodedFileOutput({ filepath: '../../x//{room_name}/./{track_id}.mp4' });
    expect(resolvePlan(roomComposite({ fileOutputs: [file] })).outputs.file?.filepath).toBe(
      'x/{room_name}/{track_id}.mp4',
    );
  });
});

describe('resolvePlan: v2 sources', () => {
  it('plans a web source with no room', () => {
    const plan = resolvePlan(
      v2({ roomName: '', source: { case: 'web', value: { url: 'https://x.test/', awaitStartSignal: true } } }),
    );
    expect(plan).toMatchObject({
      requestType: 'web',
      roomName: '',
      fileIdentifier: 'web',
      source: { kind: 'web', url: 'https://x.test/', awaitStartSignal: true },
    });
  });

  it('plans a media source with participant video and routed audio', () => {
    const plan = resolvePlan(
      v2({
        source: {
          case: 'media',
          value: {
            video: { case: 'participantVideo', value: { identity: 'alice', preferScreenShare: true } },
            audio: {
              routes: [
                { match: { case: 'participantKind', value: ParticipantInfo_Kind.AGENT }, channel: AudioChannel.LEFT },
                { match: { case: 'participantIdentity', value: 'alice' }, channel: AudioChannel.RIGHT },
              ],
            },
          },
        },
      }),
    );
    expect(plan).toMatchObject({
      requestType: 'participant',
      sourceType: EgressSourceType.SDK,
      audio: true,
      video: true,
      source: {
        kind: 'media',
        video: { identity: 'alice', preferScreenShare: true },
        captureAllAudio: false,
        audioRoutes: [
          { match: { participantKind: ParticipantInfo_Kind.AGENT }, channel: 'left' },
          { match: { participantIdentity: 'alice' }, channel: 'right' },
        ],
      },
    });
  });

  it('plans a track egress with the track id as file identifier', () => {
    expect(resolvePlan(track())).toMatchObject({ requestType: 'track', roomName: 'demo', fileIdentifier: 'TR_abc' });
  });

  it('plans a participant egress of the screen share', () => {
    const plan = resolvePlan(participant({ screenShare: true, segmentOutputs: [segmentsOutput()] }));
    expect(plan.source).toEqual({ kind: 'participant', identity: 'alice', screenShare: true });
    expect(plan.sourceType).toBe(EgressSourceType.SDK);
  });
});
