import { AudioCodec, EncodingOptions, EncodingOptionsPreset, VideoCodec } from '@livekit/protocol';
import type { PartialMessage } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { encodingDefaults, encodingPresets, readEncoding, toEncodingPlan } from './encoding.ts';
import { errorOf, unknownEnumValue } from './request-fixtures.ts';

const advanced = (options: PartialMessage<EncodingOptions>) =>
  readEncoding({ case: 'advanced', value: new EncodingOptions(options) });

describe('readEncoding', () => {
  it('defaults to H264_720P_30 with the code defaults', () => {
    expect(readEncoding({ case: undefined })).toEqual({
      width: 1280,
      height: 720,
      depth: 24,
      framerate: 30,
      videoBitrateKbps: 3000,
      profile: 'main',
      audioBitrateKbps: 128,
      audioFrequency: 44100,
      keyFrameIntervalSec: 0,
    });
    expect(readEncoding({ case: 'preset', value: EncodingOptionsPreset.H264_720P_30 })).toEqual(
      readEncoding({ case: undefined }),
    );
  });

  it('has a preset for every value but PASSTHROUGH', () => {
    expect(encodingPresets.size).toBe(8);
    expect(readEncoding({ case: 'preset', value: EncodingOptionsPreset.PASSTHROUGH })).toBe('passthrough');
    expect(readEncoding({ case: 'preset', value: EncodingOptionsPreset.PORTRAIT_H264_1080P_60 })).toMatchObject({
      width: 1080,
      height: 1920,
      framerate: 60,
      videoBitrateKbps: 6000,
    });
  });

  it('rejects a preset this protocol does not know', () => {
    expect(errorOf(() => readEncoding({ case: 'preset', value: unknownEnumValue(42) })).message).toBe(
      'request has missing or invalid field: preset',
    );
  });

  it('uses the code defaults, not the proto comments, for unset advanced fields', () => {
    expect(advanced({})).toMatchObject({ ...encodingDefaults, keyFrameIntervalSec: 0 });
  });

  it('reads every advanced field', () => {
    expect(
      advanced({
        width: 1920,
        height: 1080,
        depth: 16,
        framerate: 25,
        audioCodec: AudioCodec.OPUS,
        audioBitrate: 96,
        audioFrequency: 48000,
        videoCodec: VideoCodec.H264_BASELINE,
        videoBitrate: 4500,
        keyFrameInterval: 2,
      }),
    ).toEqual({
      width: 1920,
      height: 1080,
      depth: 16,
      framerate: 25,
      videoBitrateKbps: 4500,
      profile: 'baseline',
      audioBitrateKbps: 96,
      audioFrequency: 48000,
      keyFrameIntervalSec: 2,
      audioCodec: 'opus',
    });
  });

  it('accepts depths 8, 16 and 24 and even sizes from 16', () => {
    for (const depth of [8, 16, 24]) expect(advanced({ depth })).toMatchObject({ depth });
    expect(advanced({ width: 16, height: 16 })).toMatchObject({ width: 16, height: 16 });
  });

  it('rejects negative numbers the encoder would choke on', () => {
    for (const [options, name] of [
      [{ width: -2 }, 'width'],
      [{ framerate: -1 }, 'framerate'],
      [{ videoBitrate: -1 }, 'video_bitrate'],
      [{ audioBitrate: -1 }, 'audio_bitrate'],
      [{ audioFrequency: -1 }, 'audio_frequency'],
      [{ keyFrameInterval: -0.5 }, 'key_frame_interval'],
      [{ keyFrameInterval: Number.NaN }, 'key_frame_interval'],
    ] as const) {
      expect(errorOf(() => advanced(options)).message).toBe(`request has missing or invalid field: ${name}`);
    }
  });

  it('rejects an audio codec this protocol does not know', () => {
    expect(errorOf(() => advanced({ audioCodec: unknownEnumValue(7) })).message).toBe(
      'audio codec 7 is not yet supported',
    );
  });
});

describe('toEncodingPlan', () => {
  const settings = { ...encodingDefaults, keyFrameIntervalSec: 0, audioFrequency: 32000 };

  it('samples Opus and PCM at 48 kHz, AAC and MP3 at audio_frequency', () => {
    expect(toEncodingPlan(settings, 'opus', undefined).audioFrequency).toBe(48000);
    expect(toEncodingPlan(settings, 'pcm', undefined).audioFrequency).toBe(48000);
    expect(toEncodingPlan(settings, 'aac', undefined).audioFrequency).toBe(32000);
    expect(toEncodingPlan(settings, 'mp3', undefined).audioFrequency).toBe(32000);
  });

  it('names the H.264 profile and sets the keyframe interval only when known', () => {
    expect(toEncodingPlan({ ...settings, profile: 'high' }, 'aac', 4)).toMatchObject({
      videoCodec: 'h264_high',
      keyFrameIntervalSec: 4,
    });
    expect('keyFrameIntervalSec' in toEncodingPlan(settings, 'aac', undefined)).toBe(false);
  });
});
