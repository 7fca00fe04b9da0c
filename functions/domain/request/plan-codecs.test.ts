import { AudioCodec, EncodedFileType, EncodingOptions, EncodingOptionsPreset, VideoCodec } from '@livekit/protocol';
import type { PartialMessage } from '@bufbuild/protobuf';
import type { StartEgressRequest } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { resolvePlan } from './plan.ts';
import {
  errorOf,
  fileOutput,
  roomComposite,
  rtmpOutput,
  segmentsOutput,
  trackComposite,
  v2,
} from './request-fixtures.ts';
import type { EgressRequest } from './egress-request.ts';

const advanced = (options: PartialMessage<EncodingOptions>) => ({
  case: 'advanced' as const,
  value: new EncodingOptions(options),
});

function messageOf(request: EgressRequest): string {
  const error = errorOf(() => resolvePlan(request));
  expect(error.code).toBe('invalid_argument');
  return error.message;
}

function fileTypeOf(request: EgressRequest): string | undefined {
  return resolvePlan(request).outputs.file?.fileType;
}

describe('resolvePlan: codec and container compatibility', () => {
  it('rejects video into OGG with no codec named', () => {
    expect(messageOf(roomComposite({ fileOutputs: [fileOutput({ fileType: EncodedFileType.OGG })] }))).toBe(
      'no supported codec is compatible with all outputs',
    );
  });

  it('rejects AAC into OGG naming both', () => {
    const request = roomComposite({
      audioOnly: true,
      options: advanced({ audioCodec: AudioCodec.AAC }),
      fileOutputs: [fileOutput({ fileType: EncodedFileType.OGG })],
    });
    expect(messageOf(request)).toBe('format audio/ogg incompatible with codec audio/aac');
  });

  it('rejects MP3 into HLS', () => {
    const request = roomComposite({
      audioOnly: true,
      options: advanced({ audioCodec: AudioCodec.AC_MP3 }),
      fileOutputs: [],
      segmentOutputs: [segmentsOutput()],
    });
    expect(messageOf(request)).toBe('format application/x-mpegurl incompatible with codec audio/mpeg');
  });

  it('rejects video into an MP3 file', () => {
    const mp3 = [fileOutput({ fileType: EncodedFileType.MP3 })];
    expect(messageOf(roomComposite({ options: advanced({ audioCodec: AudioCodec.AC_MP3 }), fileOutputs: mp3 }))).toBe(
      'format audio/mpeg incompatible with codec video/h264',
    );
    expect(messageOf(roomComposite({ fileOutputs: mp3 }))).toBe('no supported codec is compatible with all outputs');
  });

  it('rejects Opus into OGG beside RTMP, which forces AAC', () => {
    const request = roomComposite({
      audioOnly: true,
      options: advanced({ audioCodec: AudioCodec.OPUS }),
      fileOutputs: [fileOutput({ fileType: EncodedFileType.OGG })],
      streamOutputs: [rtmpOutput()],
    });
    expect(messageOf(request)).toBe('format audio/ogg incompatible with codec audio/aac');
  });

  it('rejects video-only into a WebSocket', () => {
    const source = { case: 'template' as const, value: { layout: 'grid', videoOnly: true } };
    const ws = { config: { case: 'stream' as const, value: { urls: ['wss://audio.example.com/in'] } } };
    expect(messageOf(v2({ source, outputs: [ws] }))).toBe('format audio/x-raw incompatible with codec video/h264');
  });

  it('encodes VP8 requests as H.264 main, as LiveKit does', () => {
    const plan = resolvePlan(roomComposite({ options: advanced({ videoCodec: VideoCodec.VP8 }) }));
    expect(plan.encoding).toMatchObject({ videoCodec: 'h264_main' });
  });
});

describe('resolvePlan: DEFAULT_FILETYPE', () => {
  const auto = [fileOutput({ fileType: EncodedFileType.DEFAULT_FILETYPE, filepath: '' })];

  it('picks MP4 with video', () => {
    expect(fileTypeOf(roomComposite({ fileOutputs: auto }))).toBe('mp4');
    expect(fileTypeOf(trackComposite({ audioTrackId: '', fileOutputs: auto }))).toBe('mp4');
  });

  it('picks OGG/Opus for audio only', () => {
    const plan = resolvePlan(roomComposite({ audioOnly: true, fileOutputs: auto }));
    expect(plan.outputs.file?.fileType).toBe('ogg');
    expect(plan.encoding).toMatchObject({ audioCodec: 'opus', audioFrequency: 48000 });
  });

  it('picks MP4 for audio-only AAC and MP3 for audio-only MP3', () => {
    const aac = roomComposite({
      audioOnly: true,
      options: advanced({ audioCodec: AudioCodec.AAC }),
      fileOutputs: auto,
    });
    expect(fileTypeOf(aac)).toBe('mp4');
    const mp3 = roomComposite({
      audioOnly: true,
      options: advanced({ audioCodec: AudioCodec.AC_MP3 }),
      fileOutputs: auto,
    });
    expect(fileTypeOf(mp3)).toBe('mp3');
  });

  it('picks MP4 for audio only beside RTMP', () => {
    const request = roomComposite({ audioOnly: true, fileOutputs: auto, streamOutputs: [rtmpOutput()] });
    expect(fileTypeOf(request)).toBe('mp4');
  });
});

describe('resolvePlan: PASSTHROUGH', () => {
  const passthrough = { case: 'preset' as const, value: EncodingOptionsPreset.PASSTHROUGH };
  const file = { config: { case: 'file' as const, value: {} } };
  const request = (overrides: PartialMessage<StartEgressRequest>): EgressRequest =>
    v2({
      encoding: passthrough,
      source: { case: 'media', value: { video: { case: 'videoTrackId', value: 'TR_v' } } },
      outputs: [file],
      ...overrides,
    });
  const invalid = (name: string): string => `request has missing or invalid field: passthrough ${name}`;

  it('plans one video track written as it arrives', () => {
    const plan = resolvePlan(request({}));
    expect(plan).toMatchObject({
      requestType: 'track',
      source: { kind: 'track', trackId: 'TR_v' },
      encoding: 'passthrough',
      audio: false,
      video: true,
      fileIdentifier: 'TR_v',
      outputs: { file: { fileType: 'auto' } },
    });
  });

  it('plans one audio track routed by track id', () => {
    const audio = { routes: [{ match: { case: 'trackId' as const, value: 'TR_a' } }] };
    const plan = resolvePlan(request({ source: { case: 'media', value: { audio } } }));
    expect(plan).toMatchObject({ source: { kind: 'track', trackId: 'TR_a' }, audio: true, video: false });
  });

  it('rejects a template or web source', () => {
    expect(messageOf(request({ source: { case: 'template', value: { layout: 'grid' } } }))).toBe(invalid('source'));
  });

  it('rejects participant_video', () => {
    const media = { video: { case: 'participantVideo' as const, value: { identity: 'alice' } } };
    expect(messageOf(request({ source: { case: 'media', value: media } }))).toBe(invalid('participant_video'));
  });

  it('rejects capture_all', () => {
    const media = { audio: { captureAll: true } };
    expect(messageOf(request({ source: { case: 'media', value: media } }))).toBe(invalid('capture_all'));
  });

  it('rejects several audio routes', () => {
    const route = { match: { case: 'trackId' as const, value: 'TR_a' } };
    const media = { audio: { routes: [route, route] } };
    expect(messageOf(request({ source: { case: 'media', value: media } }))).toBe(invalid('audio routes'));
  });

  it('rejects an audio route matched by identity', () => {
    const media = { audio: { routes: [{ match: { case: 'participantIdentity' as const, value: 'alice' } }] } };
    expect(messageOf(request({ source: { case: 'media', value: media } }))).toBe(invalid('audio route match'));
  });

  it('rejects both a video and an audio track', () => {
    const media = {
      video: { case: 'videoTrackId' as const, value: 'TR_v' },
      audio: { routes: [{ match: { case: 'trackId' as const, value: 'TR_a' } }] },
    };
    expect(messageOf(request({ source: { case: 'media', value: media } }))).toBe(invalid('track_id'));
  });

  it('rejects more than one output', () => {
    expect(messageOf(request({ outputs: [file, file] }))).toBe(invalid('outputs'));
  });

  it('rejects an output that is not a file', () => {
    const stream = { config: { case: 'stream' as const, value: { urls: ['rtmp://h/app/key'] } } };
    expect(messageOf(request({ outputs: [stream] }))).toBe(invalid('output'));
  });

  it('rejects a file type other than DEFAULT_FILETYPE', () => {
    const mp4 = { config: { case: 'file' as const, value: { fileType: EncodedFileType.MP4 } } };
    expect(messageOf(request({ outputs: [mp4] }))).toBe(invalid('file_type'));
  });
});
