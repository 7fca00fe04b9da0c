import { describe, expect, it } from 'vitest';
import type { EncodingPlan } from '#domain/request/encoding.ts';
import { encoderArgs, encoderFds, withThumbnailKeyframes, type EncoderSpec } from './encoder-args.ts';

const encoding: EncodingPlan = {
  width: 1280,
  height: 720,
  depth: 24,
  framerate: 30,
  audioCodec: 'aac',
  audioBitrateKbps: 128,
  audioFrequency: 44100,
  videoCodec: 'h264_main',
  videoBitrateKbps: 3000,
};

const spec: EncoderSpec = {
  encoding,
  audio: true,
  video: true,
  input: { kind: 'capture', display: ':7', audioSource: 'capture.monitor', epochSec: 1000, audioDelayMs: 127 },
  pcm: false,
};

/** The value following `flag` in `args`, the `n`th time it appears. */
function after(args: readonly string[], flag: string, n = 0): string | undefined {
  const positions = args.flatMap((a, i) => (a === flag ? [i] : []));
  const at = positions[n];
  return at === undefined ? undefined : args[at + 1];
}

describe('encoderArgs', () => {
  it('opens pulse before x11grab and shifts both by the same epoch, audio earlier by its delay', () => {
    const args = encoderArgs(spec);
    expect(after(args, '-f', 0)).toBe('pulse');
    expect(after(args, '-f', 1)).toBe('x11grab');
    expect(after(args, '-itsoffset', 0)).toBe('-1000.127');
    expect(after(args, '-itsoffset', 1)).toBe('-1000.000');
    expect(after(args, '-i', 1)).toBe(':7.0');
    expect(args).toContain('-copyts');
    // Audio dated by the arrival of its first 10 ms fragment, not by the pulse demuxer's latency estimate.
    expect(after(args, '-use_wallclock_as_timestamps', 0)).toBe('1');
    expect(after(args, '-fragment_size', 0)).toBe('1920');
    expect(args.indexOf('-use_wallclock_as_timestamps')).toBeLessThan(args.indexOf('-i'));
  });

  it('encodes H.264 with the plan’s profile, bitrate and a fixed keyframe grid, at a constant frame rate', () => {
    const args = encoderArgs({ ...spec, encoding: { ...encoding, keyFrameIntervalSec: 2, videoCodec: 'h264_high' } });
    expect(after(args, '-profile:v')).toBe('high');
    expect(after(args, '-b:v')).toBe('3000k');
    expect(after(args, '-maxrate')).toBe('3000k');
    expect(after(args, '-g')).toBe('60');
    expect(after(args, '-sc_threshold')).toBe('0');
    expect(after(args, '-force_key_frames')).toBe('expr:gte(t,n_forced*2)');
    expect(after(args, '-vf')).toBe('fps=30');
    expect(args.at(-1)).toBe('pipe:1');
  });

  it('maps the audio codec and rate: AAC at audio_frequency, Opus, MP3', () => {
    expect(after(encoderArgs(spec), '-c:a')).toBe('aac');
    expect(after(encoderArgs(spec), '-ar')).toBe('44100');
    const opus = encoderArgs({ ...spec, encoding: { ...encoding, audioCodec: 'opus', audioFrequency: 48000 } });
    expect(after(opus, '-c:a')).toBe('libopus');
    expect(after(encoderArgs({ ...spec, encoding: { ...encoding, audioCodec: 'mp3' } }), '-c:a')).toBe('libmp3lame');
  });

  it('captures only what the plan records: audio-only has no x11grab, video-only no pulse', () => {
    const audioOnly = encoderArgs({ ...spec, video: false });
    expect(audioOnly).not.toContain('x11grab');
    expect(audioOnly).not.toContain('libx264');
    const videoOnly = encoderArgs({ ...spec, audio: false });
    expect(videoOnly).not.toContain('pulse');
    expect(after(videoOnly, '-map')).toBe('0:v');
  });

  it('writes PCM for a WebSocket on fd 3', () => {
    const args = encoderArgs({ ...spec, pcm: true });
    expect(args.slice(-4)).toEqual(['-ac', '2', '-f', 's16le', 'pipe:3'].slice(-4));
    expect(after(args, '-c:a', 1)).toBe('pcm_s16le');
  });
});

describe('encoderArgs with piped media (track composite)', () => {
  const piped: EncoderSpec = { ...spec, input: { kind: 'pipes' } };

  it('reads PCM on fd 3 and PGMYUV images on stdin, with no wall-clock timestamps to align', () => {
    const args = encoderArgs(piped);
    expect(after(args, '-f', 0)).toBe('s16le');
    expect(after(args, '-i', 0)).toBe('pipe:3');
    expect(after(args, '-f', 1)).toBe('image2pipe');
    expect(after(args, '-c:v', 0)).toBe('pgmyuv');
    expect(after(args, '-framerate', 0)).toBe('30');
    expect(after(args, '-i', 1)).toBe('pipe:0');
    expect(args).not.toContain('-copyts');
    expect(args).not.toContain('-itsoffset');
    expect(after(args, '-map', 0)).toBe('1:v');
    expect(after(args, '-map', 1)).toBe('0:a');
  });

  it('letterboxes every picture into the output size instead of stretching it', () => {
    expect(after(encoderArgs(piped), '-vf')).toBe(
      'scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,setsar=1',
    );
  });

  it('numbers its pipes: audio in on fd 3, PCM out after it', () => {
    expect(encoderFds(piped)).toEqual({ audioIn: 3, pcmOut: undefined, extraPipes: 1 });
    expect(encoderFds({ ...piped, pcm: true })).toEqual({ audioIn: 3, pcmOut: 4, extraPipes: 2 });
    expect(encoderFds({ ...piped, audio: false })).toEqual({ audioIn: undefined, pcmOut: undefined, extraPipes: 0 });
    expect(encoderFds({ ...spec, pcm: true })).toEqual({ audioIn: undefined, pcmOut: 3, extraPipes: 1 });
    expect(after(encoderArgs({ ...piped, pcm: true }), '-map', 2)).toBe('0:a');
    expect(encoderArgs({ ...piped, pcm: true }).at(-1)).toBe('pipe:4');
    const videoOnly = encoderArgs({ ...piped, audio: false });
    expect(after(videoOnly, '-i', 0)).toBe('pipe:0');
    expect(after(videoOnly, '-map', 0)).toBe('0:v');
  });
});

describe('withThumbnailKeyframes', () => {
  it('puts a keyframe in every capture interval, never more often than each second', () => {
    expect(withThumbnailKeyframes(encoding, []).keyFrameIntervalSec).toBeUndefined();
    expect(withThumbnailKeyframes(encoding, [10]).keyFrameIntervalSec).toBe(4);
    expect(withThumbnailKeyframes(encoding, [3, 5]).keyFrameIntervalSec).toBe(3);
    expect(withThumbnailKeyframes({ ...encoding, keyFrameIntervalSec: 2 }, [5]).keyFrameIntervalSec).toBe(2);
    expect(withThumbnailKeyframes(encoding, [0.5]).keyFrameIntervalSec).toBe(1);
  });
});
