import type { EncodingPlan } from '#domain/request/encoding.ts';

/** What the encoder captures and writes. */
export interface EncoderSpec {
  readonly encoding: EncodingPlan;
  readonly audio: boolean;
  readonly video: boolean;
  /** X display to grab, e.g. `:3`. */
  readonly display: string;
  /** PulseAudio source to record, e.g. `capture.monitor`. */
  readonly audioSource: string;
  /**
   * Epoch seconds subtracted from both inputs' wall-clock timestamps: x11grab and pulse both stamp
   * packets with the wall clock, so one shared offset keeps them aligned however late either input opens.
   */
  readonly epochSec: number;
  /** Milliseconds the capture path delivers audio late against video; audio timestamps move earlier by it. */
  readonly audioDelayMs: number;
  /** Also write the mixed audio as PCM s16le 48 kHz stereo on fd 3 (WebSocket). */
  readonly pcm: boolean;
}

/** Default seconds between keyframes when no output asks for an interval. */
export const defaultKeyFrameIntervalSec = 4;

/**
 * ffmpeg arguments of the one composite encoder: x11grab + pulse → H.264 (x264) + AAC/Opus/MP3 in MPEG-TS
 * on stdout, plus PCM on fd 3 for a WebSocket. Pure, so the command is unit-tested. Thumbnails are not
 * made here: an output advancing once every few seconds makes ffmpeg starve the audio input meanwhile.
 */
export function encoderArgs(spec: EncoderSpec): string[] {
  const args = ['-hide_banner', '-nostats', '-loglevel', 'warning', '-nostdin', '-copyts'];
  // Input order: pulse, then x11grab.
  const audioInput = spec.audio ? 0 : -1;
  const videoInput = spec.video ? (spec.audio ? 1 : 0) : -1;
  // Pulse opens first: x11grab opened before it repeats its first frame while the monitor opens.
  if (spec.audio) {
    const offset = -spec.epochSec - spec.audioDelayMs / 1000;
    // Live inputs need no probing: a short probe lets the first frame out sooner.
    args.push('-f', 'pulse', '-probesize', '32', '-analyzeduration', '0', '-thread_queue_size', '1024');
    args.push('-itsoffset', offset.toFixed(3));
    args.push('-i', spec.audioSource);
  }
  if (spec.video) {
    const { width, height, framerate } = spec.encoding;
    args.push('-f', 'x11grab', '-probesize', '32', '-analyzeduration', '0');
    args.push('-video_size', `${width}x${height}`, '-framerate', String(framerate));
    // A raw frame is 3.7 MB at 720p and 8.3 MB at 1080p: a short queue (about a second) absorbs encoder
    // hiccups without letting a starved encoder pile up gigabytes; beyond it frames are dropped.
    args.push('-draw_mouse', '0', '-thread_queue_size', '32', '-itsoffset', (-spec.epochSec).toFixed(3));
    args.push('-i', `${spec.display}.0`);
  }
  if (spec.video) args.push('-map', `${videoInput}:v`, ...videoCodecArgs(spec.encoding));
  if (spec.audio) args.push('-map', `${audioInput}:a`, ...audioCodecArgs(spec.encoding));
  args.push('-f', 'mpegts', '-flush_packets', '1', 'pipe:1');
  if (spec.pcm && spec.audio) {
    args.push('-map', `${audioInput}:a`, '-c:a', 'pcm_s16le', '-ar', '48000', '-ac', '2', '-f', 's16le', 'pipe:3');
  }
  return args;
}

function videoCodecArgs(encoding: EncodingPlan): string[] {
  const kbps = encoding.videoBitrateKbps;
  const keyInterval = encoding.keyFrameIntervalSec ?? defaultKeyFrameIntervalSec;
  const gop = Math.max(1, Math.round(encoding.framerate * keyInterval));
  const profile = encoding.videoCodec.replace('h264_', '');
  return [
    ...['-c:v', 'libx264', '-preset', 'superfast', '-tune', 'zerolatency', '-profile:v', profile],
    // A constant frame rate on a grid that starts at the first captured frame (the fps filter, not
    // -fps_mode cfr, which would fill from zero): capture jitter becomes a repeat or a drop, never a
    // timestamp players or muxers stumble over.
    ...['-vf', `fps=${encoding.framerate}`, '-pix_fmt', 'yuv420p', '-fps_mode', 'passthrough'],
    ...['-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps * 2}k`],
    // Keyframes on a fixed grid (no scene-cut keyframes): segments and late-joining streams cut there.
    ...['-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0'],
    ...['-force_key_frames', `expr:gte(t,n_forced*${keyInterval})`],
  ];
}

function audioCodecArgs(encoding: EncodingPlan): string[] {
  // Pulse stamps packets with the wall clock minus a latency estimate that wobbles; counting samples from
  // the first stamp keeps audio time continuous (the sink's clock is the system's, so it does not drift).
  const rate = ['-af', 'asetpts=N/SR/TB+STARTPTS', '-ar', String(encoding.audioFrequency), '-ac', '2'];
  rate.push('-b:a', `${encoding.audioBitrateKbps}k`);
  switch (encoding.audioCodec) {
    case 'opus':
      return ['-c:a', 'libopus', ...rate];
    case 'mp3':
      return ['-c:a', 'libmp3lame', ...rate];
    case 'aac':
    case 'pcm':
      return ['-c:a', 'aac', ...rate];
  }
}

/**
 * The encoding with keyframes at least every `intervalSec` of each thumbnails output: the thumbnail
 * decoder reads keyframes only, so each capture interval must hold one.
 */
export function withThumbnailKeyframes(encoding: EncodingPlan, intervalsSec: readonly number[]): EncodingPlan {
  if (intervalsSec.length === 0) return encoding;
  const current = encoding.keyFrameIntervalSec ?? defaultKeyFrameIntervalSec;
  return { ...encoding, keyFrameIntervalSec: Math.max(1, Math.min(current, ...intervalsSec)) };
}
