/**
 * Test support (not used by production code): short clips encoded by the real ffmpeg, split into the
 * frames (or Opus packets) an RTP sender would send, for writer and recorder tests without a LiveKit room.
 */
import { runTool } from '#bench/tool-run.ts';

/** One encoded frame of a clip. */
export interface ClipFrame {
  readonly data: Uint8Array;
  readonly keyFrame: boolean;
}

/** Codecs a clip can be encoded in. */
export type ClipCodec = 'vp8' | 'vp9' | 'h264' | 'opus';

const videoArgs: Readonly<Record<Exclude<ClipCodec, 'opus'>, readonly string[]>> = {
  vp8: ['-c:v', 'libvpx', '-deadline', 'realtime', '-b:v', '400k', '-f', 'ivf'],
  vp9: ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-lag-in-frames', '0', '-b:v', '400k'],
  h264: [
    '-pix_fmt',
    'yuv420p',
    '-c:v',
    'libx264',
    '-profile:v',
    'baseline',
    '-tune',
    'zerolatency',
    '-threads',
    '1',
    '-f',
    'h264',
  ],
};

async function ffmpegOutput(args: readonly string[]): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  await runTool('ffmpeg', ['-v', 'error', ...args, 'pipe:1'], { onStdout: (c) => chunks.push(c) });
  return Buffer.concat(chunks);
}

/**
 * `seconds` of a moving test pattern (30 fps, 320x180) or of a 440 Hz tone with a 1 kHz beep each second
 * (Opus, 20 ms packets), with a key frame every `gop` frames.
 */
export async function encodeClip(codec: ClipCodec, seconds: number, gop = 15): Promise<ClipFrame[]> {
  if (codec === 'opus') {
    const tone = `aevalsrc='0.3*sin(2*PI*440*t)+0.5*sin(2*PI*1000*t)*lt(mod(t\\,1)\\,0.1)':s=48000:d=${seconds}`;
    const ogg = await ffmpegOutput(['-f', 'lavfi', '-i', tone, '-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg']);
    return oggPackets(ogg)
      .slice(2)
      .map((data) => ({ data, keyFrame: true }));
  }
  const source = ['-f', 'lavfi', '-i', `testsrc=size=320x180:rate=30:duration=${seconds}`, '-g', String(gop)];
  const extra = codec === 'vp9' ? ['-f', 'ivf'] : [];
  const bytes = await ffmpegOutput([...source, ...videoArgs[codec], ...extra]);
  return codec === 'h264' ? annexBAccessUnits(bytes) : ivfFrames(bytes, codec);
}

/** The frames of an IVF file (32-byte header, then 12-byte frame headers). */
function ivfFrames(ivf: Uint8Array, codec: 'vp8' | 'vp9'): ClipFrame[] {
  const view = new DataView(ivf.buffer, ivf.byteOffset, ivf.byteLength);
  const frames: ClipFrame[] = [];
  for (let offset = view.getUint16(6, true); offset + 12 <= ivf.length;) {
    const size = view.getUint32(offset, true);
    const data = ivf.subarray(offset + 12, offset + 12 + size);
    offset += 12 + size;
    // VP8: frame tag bit 0 clear; VP9: frame_type bit (after marker, profile, show_existing) clear.
    const keyFrame = codec === 'vp8' ? ((data[0] ?? 1) & 0x01) === 0 : ((data[0] ?? 0) & 0x04) === 0;
    frames.push({ data, keyFrame });
  }
  return frames;
}

/** NAL units of an Annex B stream (start codes removed). */
export function annexBUnits(stream: Uint8Array): Uint8Array[] {
  const starts: { at: number; code: number }[] = [];
  for (let i = 0; i + 2 < stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
      starts.push({ at: i + 3, code: i > 0 && stream[i - 1] === 0 ? 4 : 3 });
      i += 2;
    }
  }
  return starts.map((start, k) => {
    const next = starts[k + 1];
    return stream.subarray(start.at, next === undefined ? stream.length : next.at - next.code);
  });
}

/** Access units of a single-slice Annex B stream: each slice NAL unit ends one. Units are NAL units. */
function annexBAccessUnits(stream: Uint8Array): (ClipFrame & { readonly units: Uint8Array[] })[] {
  const frames: (ClipFrame & { readonly units: Uint8Array[] })[] = [];
  let units: Uint8Array[] = [];
  for (const unit of annexBUnits(stream)) {
    units.push(unit);
    const type = (unit[0] ?? 0) & 0x1f;
    if (type === 1 || type === 5) {
      const keyFrame = units.some((u) => ((u[0] ?? 0) & 0x1f) === 5);
      frames.push({ data: Buffer.concat(units), keyFrame, units });
      units = [];
    }
  }
  return frames;
}

/** The packets of a single-stream Ogg file, in order (lacing values of 255 continue a packet). */
export function oggPackets(ogg: Uint8Array): Uint8Array[] {
  const packets: Uint8Array[] = [];
  let current: Uint8Array[] = [];
  for (let offset = 0; offset + 27 <= ogg.length;) {
    const segments = ogg[offset + 26] ?? 0;
    let body = offset + 27 + segments;
    for (let i = 0; i < segments; i++) {
      const lacing = ogg[offset + 27 + i] ?? 0;
      current.push(ogg.subarray(body, body + lacing));
      body += lacing;
      if (lacing < 255) {
        packets.push(Buffer.concat(current));
        current = [];
      }
    }
    offset = body;
  }
  return packets;
}
