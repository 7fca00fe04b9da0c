/**
 * ISO BMFF (ISO/IEC 14496-12) box building: big-endian fields and boxes, plus the H.264 sample entry
 * (ISO/IEC 14496-15 §5.3.3, `avc1` with its `avcC` decoder configuration record).
 */
import { concatBytes } from './frame-assembler.ts';
import type { H264SpsInfo } from './h264-sps.ts';

/** An unsigned 8-bit field. */
export const u8 = (n: number): Uint8Array => Uint8Array.of(n & 0xff);
/** A big-endian unsigned 16-bit field. */
export const u16 = (n: number): Uint8Array => Uint8Array.of((n >> 8) & 0xff, n & 0xff);
/** A big-endian unsigned 32-bit field. */
export function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0);
  return out;
}
/** A big-endian unsigned 64-bit field (from a safe integer). */
export function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

/** The bytes of an ASCII string (box types, brands). */
export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A box: 32-bit size, four-character type, payload. */
export function box(type: string, ...payload: Uint8Array[]): Uint8Array {
  const body = concatBytes(payload);
  return concatBytes([u32(8 + body.length), ascii(type), body]);
}

/** A full box: a box whose payload starts with an 8-bit version and 24-bit flags. */
export function fullBox(type: string, version: number, flags: number, ...payload: Uint8Array[]): Uint8Array {
  return box(type, u32(((version & 0xff) << 24) | (flags & 0xffffff)), ...payload);
}

/** The unity transformation matrix of `mvhd` and `tkhd`. */
export const unityMatrix = concatBytes([0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000].map(u32));

const zeros = (n: number): Uint8Array => new Uint8Array(n);

/** Profiles whose `avcC` carries chroma format and bit depths (ISO/IEC 14496-15 §5.3.3.1.2). */
const extendedProfiles = new Set([100, 110, 122, 144]);

/** The AVC decoder configuration record with one SPS and one PPS, NAL unit lengths of 4 bytes. */
export function avcC(sps: Uint8Array, pps: Uint8Array, info: H264SpsInfo): Uint8Array {
  const parts = [
    u8(1), // configurationVersion
    u8(info.profileIdc),
    u8(info.constraints),
    u8(info.levelIdc),
    u8(0xfc | 3), // lengthSizeMinusOne = 3
    u8(0xe0 | 1),
    u16(sps.length),
    sps,
    u8(1),
    u16(pps.length),
    pps,
  ];
  if (extendedProfiles.has(info.profileIdc)) {
    parts.push(
      u8(0xfc | info.chromaFormatIdc),
      u8(0xf8 | (info.bitDepthLuma - 8)),
      u8(0xf8 | (info.bitDepthChroma - 8)),
      u8(0),
    );
  }
  return box('avcC', ...parts);
}

/** The `avc1` visual sample entry. */
export function avc1(width: number, height: number, config: Uint8Array): Uint8Array {
  return box(
    'avc1',
    zeros(6), // reserved
    u16(1), // data_reference_index
    zeros(16), // pre_defined, reserved
    u16(width),
    u16(height),
    u32(0x00480000), // 72 dpi
    u32(0x00480000),
    u32(0),
    u16(1), // frame_count
    zeros(32), // compressorname
    u16(0x0018), // depth
    u16(0xffff), // pre_defined = −1
    config,
  );
}
