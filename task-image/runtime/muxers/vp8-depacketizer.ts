/**
 * VP8 over RTP (RFC 7741): strips the payload descriptor and joins a frame's partitions. A frame starts at
 * the packet with S=1 and partition index 0; it is a key frame when the P bit of the VP8 frame tag is 0.
 */
import { FrameAssembler, concatBytes, type AssembledFrame } from './frame-assembler.ts';

/** The payload descriptor of one packet (RFC 7741 §4.2). */
export interface Vp8Descriptor {
  /** S=1 and PID=0: the packet starts a frame. */
  readonly startsFrame: boolean;
  /** N=1: no other frame references this one. */
  readonly nonReference: boolean;
  readonly pictureId: number | undefined;
  /** Where the VP8 payload starts. */
  readonly headerLength: number;
}

/** Parses the descriptor, or undefined when the payload is shorter than it says. */
export function parseVp8Descriptor(payload: Uint8Array): Vp8Descriptor | undefined {
  const first = payload[0];
  if (first === undefined) return undefined;
  let offset = 1;
  let pictureId: number | undefined;
  if ((first & 0x80) !== 0) {
    const ext = payload[offset++] ?? 0;
    if ((ext & 0x80) !== 0) {
      const high = payload[offset++] ?? 0;
      // M bit: a 15-bit PictureID in two bytes, else 7 bits in one.
      pictureId = (high & 0x80) !== 0 ? ((high & 0x7f) << 8) | (payload[offset++] ?? 0) : high & 0x7f;
    }
    if ((ext & 0x40) !== 0) offset++; // TL0PICIDX
    if ((ext & 0x30) !== 0) offset++; // TID/Y/KEYIDX, present when T or K is set
  }
  if (offset >= payload.length) return undefined;
  return {
    startsFrame: (first & 0x10) !== 0 && (first & 0x07) === 0,
    nonReference: (first & 0x20) !== 0,
    pictureId,
    headerLength: offset,
  };
}

/** Width and height of a VP8 key frame (RFC 6386 §9.1), from the start of the frame itself. */
export function vp8FrameSize(frame: Uint8Array): { width: number; height: number } | undefined {
  if (frame.length < 10 || ((frame[0] ?? 1) & 0x01) !== 0) return undefined;
  if (frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) return undefined;
  const width = ((frame[6] ?? 0) | ((frame[7] ?? 0) << 8)) & 0x3fff;
  const height = ((frame[8] ?? 0) | ((frame[9] ?? 0) << 8)) & 0x3fff;
  return { width, height };
}

/** Assembles VP8 frames from RTP payloads. */
export class Vp8Depacketizer extends FrameAssembler {
  private parts: Uint8Array[] = [];

  protected begin(payload: Uint8Array): boolean {
    const descriptor = parseVp8Descriptor(payload);
    if (descriptor?.startsFrame !== true) return false;
    this.parts = [payload.subarray(descriptor.headerLength)];
    return true;
  }

  protected add(payload: Uint8Array): boolean {
    const descriptor = parseVp8Descriptor(payload);
    if (descriptor === undefined || descriptor.startsFrame) return false;
    this.parts.push(payload.subarray(descriptor.headerLength));
    return true;
  }

  protected end(marker: boolean): AssembledFrame | undefined {
    const parts = this.parts;
    this.parts = [];
    if (!marker) return undefined;
    const data = concatBytes(parts);
    return { data, keyFrame: ((data[0] ?? 1) & 0x01) === 0 };
  }
}
