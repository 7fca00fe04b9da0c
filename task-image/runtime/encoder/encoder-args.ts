import type { EncodingPlan } from '#domain/request/encoding.ts';

/** The display and sound card of a capture stack (room composite, web): grabbed by ffmpeg itself. */
export interface CaptureInput {
  readonly kind: 'capture';
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
}

/**
 * Decoded media written by this process, already paced onto one clock (track composite, participant):
 * video as PGMYUV images on stdin at the encoding's frame rate (each image carries its own size, so a
 * track changing resolution needs no restart), audio as s16le 48 kHz stereo on fd 3.
 */
export interface PipedInput {
  readonly kind: 'pipes';
}

/** What the encoder captures and writes. */
export interface EncoderSpec {
  readonly encoding: EncodingPlan;
  readonly audio: boolean;
  readonly video: boolean;
  readonly input: CaptureInput | PipedInput;
  /** Also write the mixed audio as PCM s16le 48 kHz stereo (WebSocket), on {@link encoderFds}' `pcmOut`. */
  readonly pcm: boolean;
}

/** Sample rate and channels of piped audio and of the PCM output. */
export const pipedAudioRate = 48_000;
export const pipedAudioChannels = 2;

/** Which extra file descriptors the encoder reads and writes besides stdin/stdout. */
export interface EncoderFds {
  /** Piped audio in (pipes input with audio). */
  readonly audioIn?: number;
  /** PCM out (WebSocket). */
  readonly pcmOut?: number;
  /** How many extra pipes (fd 3 onward) the process needs. */
  readonly extraPipes: number;
}

export function encoderFds(spec: EncoderSpec): EncoderFds {
  const audioIn = spec.input.kind === 'pipes' && spec.audio ? 3 : undefined;
  const pcmOut = spec.pcm && spec.audio ? (audioIn === undefined ? 3 : 4) : undefined;
  return { audioIn, pcmOut, extraPipes: (pcmOut ?? audioIn ?? 2) - 2 };
}

/** 10 ms of s16le stereo at 48 kHz: the pulse input's read size, so the first fragment dates the audio to 10 ms. */
const pulseFragmentBytes = 1920;

/** Default seconds between keyframes when no output asks for an interval. */
export const defaultKeyFrameIntervalSec = 4;

/**
 * ffmpeg arguments of the one composite encoder: x11grab + pulse (or piped decoded media) → H.264 (x264) +
 * AAC/Opus/MP3 in MPEG-TS on stdout, plus PCM for a WebSocket. Pure, so the command is unit-tested. Thumbnails are not
 * made here: an output advancing once every few seconds makes ffmpeg starve the audio input meanwhile.
 */
export function encoderArgs(spec: EncoderSpec): string[] {
  const args = ['-hide_banner', '-nostats', '-loglevel', 'warning', '-nostdin'];
  const inputs = spec.input.kind === 'capture' ? captureInputs(spec, spec.input) : pipedInputs(spec);
  args.push(...inputs.args);
  if (spec.video) args.push('-map', `${inputs.video}:v`, ...videoCodecArgs(spec.encoding, inputs.videoFilter));
  if (spec.audio) args.push('-map', `${inputs.audio}:a`, ...audioCodecArgs(spec.encoding, inputs.audioFilter));
  // One audio frame per PES (not ~8 grouped): outputs can be cut at the stop time to the frame.
  args.push('-f', 'mpegts', '-pes_payload_size', '0', '-flush_packets', '1');
  args.push('pipe:1');
  const { pcmOut } = encoderFds(spec);
  if (pcmOut !== undefined) {
    args.push('-map', `${inputs.audio}:a`, '-c:a', 'pcm_s16le', '-ar', String(pipedAudioRate));
    args.push('-ac', String(pipedAudioChannels), '-f', 's16le', `pipe:${pcmOut}`);
  }
  return args;
}

interface Inputs {
  readonly args: string[];
  readonly audio: number;
  readonly video: number;
  readonly videoFilter: string;
  readonly audioFilter: string | undefined;
}

function captureInputs(spec: EncoderSpec, input: CaptureInput): Inputs {
  const args = ['-copyts'];
  // Input order: pulse, then x11grab. Pulse opens first: x11grab opened before it repeats its first frame
  // while the monitor opens.
  if (spec.audio) {
    const offset = -input.epochSec - input.audioDelayMs / 1000;
    // Live inputs need no probing: a short probe lets the first frame out sooner. The audio is timed from
    // the wall clock at which its first 10 ms fragment arrived (then by counting samples, below): the pulse
    // demuxer's own stamps (wall clock minus a latency estimate) start 60–650 ms early, by a different
    // amount each run, and settle only after about a second, so anchoring on them made every recording's
    // A/V offset a different constant. Arrival is real-time from the first fragment (no backlog).
    args.push('-f', 'pulse', '-fragment_size', String(pulseFragmentBytes), '-use_wallclock_as_timestamps', '1');
    args.push('-probesize', '32', '-analyzeduration', '0', '-thread_queue_size', '1024');
    args.push('-itsoffset', offset.toFixed(3));
    args.push('-i', input.audioSource);
  }
  if (spec.video) {
    const { width, height, framerate } = spec.encoding;
    args.push('-f', 'x11grab', '-probesize', '32', '-analyzeduration', '0');
    args.push('-video_size', `${width}x${height}`, '-framerate', String(framerate));
    // A raw frame is 3.7 MB at 720p and 8.3 MB at 1080p: a short queue (about a second) absorbs encoder
    // hiccups without letting a starved encoder pile up gigabytes; beyond it frames are dropped.
    args.push('-draw_mouse', '0', '-thread_queue_size', '32', '-itsoffset', (-input.epochSec).toFixed(3));
    args.push('-i', `${input.display}.0`);
  }
  return {
    args,
    audio: 0,
    video: spec.audio ? 1 : 0,
    // A constant frame rate on a grid that starts at the first captured frame (the fps filter, not
    // -fps_mode cfr, which would fill from zero): capture jitter becomes a repeat or a drop, never a
    // timestamp players or muxers stumble over.
    videoFilter: `fps=${spec.encoding.framerate}`,
    // Pulse stamps packets with the wall clock minus a latency estimate that wobbles; counting samples from
    // the first stamp keeps audio time continuous (the sink's clock is the system's, so it does not drift).
    audioFilter: 'asetpts=N/SR/TB+STARTPTS',
  };
}

function pipedInputs(spec: EncoderSpec): Inputs {
  const { width, height, framerate } = spec.encoding;
  const args: string[] = [];
  const { audioIn } = encoderFds(spec);
  if (audioIn !== undefined) {
    // Formats known up front: no probing, so the first encoded bytes come with the first media.
    args.push('-f', 's16le', '-ar', String(pipedAudioRate), '-ac', String(pipedAudioChannels));
    args.push('-probesize', '32', '-analyzeduration', '0', '-thread_queue_size', '1024', '-i', `pipe:${audioIn}`);
  }
  if (spec.video) {
    args.push('-f', 'image2pipe', '-framerate', String(framerate), '-c:v', 'pgmyuv');
    args.push('-probesize', '32', '-analyzeduration', '0', '-thread_queue_size', '64', '-i', 'pipe:0');
  }
  return {
    args,
    audio: 0,
    video: audioIn === undefined ? 0 : 1,
    // The output size whatever the track's: scaled to fit and letterboxed, never stretched.
    videoFilter:
      `scale=${width}:${height}:force_original_aspect_ratio=decrease,` +
      `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,setsar=1`,
    audioFilter: undefined,
  };
}

function videoCodecArgs(encoding: EncodingPlan, filter: string): string[] {
  const kbps = encoding.videoBitrateKbps;
  const keyInterval = encoding.keyFrameIntervalSec ?? defaultKeyFrameIntervalSec;
  const gop = Math.max(1, Math.round(encoding.framerate * keyInterval));
  const profile = encoding.videoCodec.replace('h264_', '');
  return [
    ...['-c:v', 'libx264', '-preset', 'superfast', '-tune', 'zerolatency', '-profile:v', profile],
    ...['-vf', filter, '-pix_fmt', 'yuv420p', '-fps_mode', 'passthrough'],
    ...['-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps * 2}k`],
    // Keyframes on a fixed grid (no scene-cut keyframes): segments and late-joining streams cut there.
    ...['-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0'],
    ...['-force_key_frames', `expr:gte(t,n_forced*${keyInterval})`],
  ];
}

function audioCodecArgs(encoding: EncodingPlan, filter: string | undefined): string[] {
  const rate = [...(filter === undefined ? [] : ['-af', filter]), '-ar', String(encoding.audioFrequency), '-ac', '2'];
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
