import { AliOSSUpload, AzureBlobUpload, EncodingOptions, GCPUpload, EncodingOptionsPreset } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { resolvePlan } from './plan.ts';
import {
  errorOf,
  fileOutput,
  imageOutput,
  participant,
  roomComposite,
  rtmpOutput,
  segmentsOutput,
  track,
  trackComposite,
  unknownEnumValue,
  v2,
  web,
} from './request-fixtures.ts';
import type { EgressRequest } from './egress-request.ts';

const field = (name: string): string => `request has missing or invalid field: ${name}`;

function rejection(request: EgressRequest): { code: string; message: string } {
  const { code, message } = errorOf(() => resolvePlan(request));
  return { code, message };
}

function invalid(name: string): { code: string; message: string } {
  return { code: 'invalid_argument', message: field(name) };
}

describe('resolvePlan: outputs', () => {
  it('rejects a v1 request without outputs', () => {
    expect(rejection(roomComposite({ fileOutputs: [] }))).toEqual(invalid('output'));
  });

  it('rejects a v2 request without outputs', () => {
    expect(rejection(v2({ outputs: [] }))).toEqual(invalid('output'));
  });

  it('rejects a v2 output with no config', () => {
    expect(rejection(v2({ outputs: [{}] }))).toEqual(invalid('output config'));
  });

  it('rejects two file outputs', () => {
    expect(rejection(roomComposite({ fileOutputs: [fileOutput(), fileOutput()] }))).toEqual(
      invalid('multiple file outputs'),
    );
    const file = { config: { case: 'file' as const, value: {} } };
    expect(rejection(v2({ outputs: [file, file] }))).toEqual(invalid('multiple file outputs'));
  });

  it('rejects two stream outputs', () => {
    expect(rejection(roomComposite({ streamOutputs: [rtmpOutput(), rtmpOutput()] }))).toEqual(
      invalid('multiple stream outputs'),
    );
  });

  it('rejects two segments outputs', () => {
    expect(rejection(participant({ segmentOutputs: [segmentsOutput(), segmentsOutput()] }))).toEqual(
      invalid('multiple segmented file outputs'),
    );
  });

  it('accepts several image outputs', () => {
    const plan = resolvePlan(roomComposite({ fileOutputs: [], imageOutputs: [imageOutput(), imageOutput()] }));
    expect(plan.outputs.images).toHaveLength(2);
  });

  it('rejects images from an audio-only source', () => {
    expect(rejection(roomComposite({ audioOnly: true, imageOutputs: [imageOutput()] }))).toEqual(
      invalid('audio_only images'),
    );
    const images = { config: { case: 'images' as const, value: {} } };
    const audioOnly = { case: 'template' as const, value: { layout: 'grid', audioOnly: true } };
    expect(rejection(v2({ source: audioOnly, outputs: [images] }))).toEqual(invalid('audio_only images'));
  });

  it('records video only when images are the only output', () => {
    const plan = resolvePlan(trackComposite({ fileOutputs: [], imageOutputs: [imageOutput()] }));
    expect({ audio: plan.audio, video: plan.video }).toEqual({ audio: false, video: true });
  });

  it('rejects an image codec other than JPEG', () => {
    const images = [imageOutput({ imageCodec: unknownEnumValue(7) })];
    expect(rejection(roomComposite({ imageOutputs: images }))).toEqual({
      code: 'invalid_argument',
      message: 'no supported codec is compatible with all outputs',
    });
  });

  it('rejects an unknown image filename suffix', () => {
    const images = [imageOutput({ filenameSuffix: unknownEnumValue(9) })];
    expect(rejection(roomComposite({ imageOutputs: images }))).toEqual(invalid('filename_suffix'));
  });

  it('rejects an unknown segment filename suffix', () => {
    const segments = [segmentsOutput({ filenameSuffix: unknownEnumValue(5) })];
    expect(rejection(roomComposite({ segmentOutputs: segments }))).toEqual(invalid('filename_suffix'));
  });

  it('rejects a live playlist outside the playlist directory', () => {
    const segments = [segmentsOutput({ playlistName: 'a/index.m3u8', livePlaylistName: 'b/live.m3u8' })];
    expect(rejection(roomComposite({ segmentOutputs: segments }))).toEqual(
      invalid('live_playlist_name must be in same directory as playlist_name'),
    );
  });

  it('rejects a live playlist named as the playlist', () => {
    const segments = [segmentsOutput({ playlistName: 'a/index.m3u8', livePlaylistName: 'a/index' })];
    expect(rejection(roomComposite({ segmentOutputs: segments }))).toEqual(
      invalid('live_playlist_name cannot be identical to playlist_name'),
    );
  });
});

describe('resolvePlan: sources', () => {
  it('rejects audio_only together with video_only', () => {
    expect(rejection(roomComposite({ audioOnly: true, videoOnly: true }))).toEqual(
      invalid('audio_only and video_only'),
    );
    expect(rejection(web({ audioOnly: true, videoOnly: true }))).toEqual(invalid('audio_only and video_only'));
    const both = { case: 'web' as const, value: { url: 'https://x.test/', audioOnly: true, videoOnly: true } };
    expect(rejection(v2({ source: both }))).toEqual(invalid('audio_only and video_only'));
  });

  it('rejects a web url that is not http(s)', () => {
    expect(rejection(web({ url: 'file:///etc/passwd' }))).toEqual(invalid('web url'));
    expect(rejection(web({ url: 'not a url' }))).toEqual(invalid('web url'));
  });

  it('rejects a custom base url that is not http(s)', () => {
    expect(rejection(roomComposite({ customBaseUrl: 'ftp://templates.example.com/' }))).toEqual(
      invalid('template base url'),
    );
  });

  it('rejects a participant egress without identity', () => {
    expect(rejection(participant({ identity: '' }))).toEqual(invalid('identity'));
  });

  it('rejects a track egress without track_id', () => {
    expect(rejection(track({ trackId: '' }))).toEqual(invalid('track_id'));
  });

  it('rejects a track egress without output', () => {
    expect(rejection(track({ output: { case: undefined } }))).toEqual(invalid('output'));
  });

  it('rejects a track composite without any track', () => {
    expect(rejection(trackComposite({ audioTrackId: '', videoTrackId: '' }))).toEqual(
      invalid('audio_track_id or video_track_id'),
    );
  });

  it('rejects a request for a room without room_name', () => {
    expect(rejection(roomComposite({ roomName: '' }))).toEqual(invalid('room_name'));
    expect(rejection(v2({ roomName: '' }))).toEqual(invalid('room_name'));
  });

  it('rejects a v2 request without source', () => {
    expect(rejection(v2({ source: { case: undefined } }))).toEqual(invalid('source'));
  });

  it('rejects a v2 media source with nothing to record', () => {
    expect(rejection(v2({ source: { case: 'media', value: {} } }))).toEqual(invalid('audio or video'));
  });
});

describe('resolvePlan: encoding options', () => {
  const advanced = (options: ConstructorParameters<typeof EncodingOptions>[0]): EgressRequest =>
    roomComposite({ options: { case: 'advanced', value: new EncodingOptions(options) } });

  it('rejects an odd width or height', () => {
    expect(rejection(advanced({ width: 1281 }))).toEqual(invalid('width'));
    expect(rejection(advanced({ height: 721 }))).toEqual(invalid('height'));
  });

  it('rejects a width or height under 16', () => {
    expect(rejection(advanced({ width: 14 }))).toEqual(invalid('width'));
    expect(rejection(advanced({ height: 8 }))).toEqual(invalid('height'));
  });

  it('rejects a depth outside 8, 16, 24', () => {
    expect(rejection(advanced({ depth: 32 }))).toEqual(invalid('depth'));
  });

  it('rejects a video codec this protocol does not know as not yet supported', () => {
    expect(rejection(advanced({ videoCodec: unknownEnumValue(9) }))).toEqual({
      code: 'invalid_argument',
      message: 'video codec 9 encoding is not yet supported',
    });
  });

  it('rejects the PASSTHROUGH preset on a v1 request', () => {
    expect(rejection(roomComposite({ options: { case: 'preset', value: EncodingOptionsPreset.PASSTHROUGH } }))).toEqual(
      invalid('preset'),
    );
  });
});

describe('resolvePlan: storage', () => {
  const message = field('%s (only S3 or S3-compatible storage is supported)');

  it('rejects a GCP upload', () => {
    const file = fileOutput({ output: { case: 'gcp', value: new GCPUpload({ bucket: 'b' }) } });
    expect(rejection(roomComposite({ fileOutputs: [file] }))).toEqual({
      code: 'invalid_argument',
      message: message.replace('%s', 'gcp'),
    });
  });

  it('rejects an Azure upload', () => {
    const azure = { provider: { case: 'azure' as const, value: new AzureBlobUpload({ containerName: 'c' }) } };
    expect(rejection(v2({ storage: azure }))).toEqual({
      code: 'invalid_argument',
      message: message.replace('%s', 'azure'),
    });
  });

  it('rejects an AliOSS upload', () => {
    const segments = segmentsOutput({ output: { case: 'aliOSS', value: new AliOSSUpload({ bucket: 'b' }) } });
    expect(rejection(web({ fileOutputs: [], segmentOutputs: [segments] }))).toEqual({
      code: 'invalid_argument',
      message: message.replace('%s', 'aliOSS'),
    });
  });
});
