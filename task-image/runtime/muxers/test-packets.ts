/**
 * Test support (not used by production code): RTP packetizers for hand-made packets, written from the
 * payload format RFCs (VP8: RFC 7741, VP9: RFC 9628, H.264: RFC 6184 mode 1, Opus: RFC 7587).
 */
import type { RtpInput } from './track-recorder.ts';

/** Payload bytes per packet, as a WebRTC sender keeps them under the MTU. */
const maxPayload = 1_000;

/** Splits `data` into chunks of at most `size` bytes. */
function chunks(data: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; offset += size) out.push(data.subarray(offset, offset + size));
  return out.length === 0 ? [data] : out;
}

/** VP8 payloads of one frame: descriptor X=1, I=1 with a 15-bit PictureID; S=1 on the first. */
export function vp8Payloads(frame: Uint8Array, pictureId: number): Uint8Array[] {
  return chunks(frame, maxPayload).map((part, i) =>
    Uint8Array.of(i === 0 ? 0x90 : 0x80, 0x80, 0x80 | ((pictureId >> 8) & 0x7f), pictureId & 0xff, ...part),
  );
}

/** VP9 payloads of one frame, flexible mode with a PictureID; B on the first, E on the last. */
export function vp9Payloads(frame: Uint8Array, pictureId: number, keyFrame: boolean): Uint8Array[] {
  const parts = chunks(frame, maxPayload);
  return parts.map((part, i) => {
    const flags = 0x80 | (keyFrame ? 0 : 0x40) | 0x10 | (i === 0 ? 0x08 : 0) | (i === parts.length - 1 ? 0x04 : 0);
    // A predicted frame in flexible mode carries one P_DIFF (previous picture, N=0).
    const pDiff = keyFrame ? [] : [0x02];
    return Uint8Array.of(flags, 0x80 | ((pictureId >> 8) & 0x7f), pictureId & 0xff, ...pDiff, ...part);
  });
}

/** H.264 payloads of one access unit: SPS+PPS in a STAP-A, small units whole, large ones as FU-A. */
export function h264Payloads(units: readonly Uint8Array[]): Uint8Array[] {
  const payloads: Uint8Array[] = [];
  const small = units.filter((u) => ((u[0] ?? 0) & 0x1f) === 7 || ((u[0] ?? 0) & 0x1f) === 8);
  if (small.length > 0) {
    const stap = [0x78];
    for (const unit of small) stap.push(unit.length >> 8, unit.length & 0xff, ...unit);
    payloads.push(Uint8Array.from(stap));
  }
  for (const unit of units.filter((u) => !small.includes(u))) {
    if (unit.length <= maxPayload) {
      payloads.push(unit);
      continue;
    }
    const header = unit[0] ?? 0;
    const parts = chunks(unit.subarray(1), maxPayload);
    parts.forEach((part, i) => {
      const fu = (i === 0 ? 0x80 : 0) | (i === parts.length - 1 ? 0x40 : 0) | (header & 0x1f);
      payloads.push(Uint8Array.of((header & 0xe0) | 28, fu, ...part));
    });
  }
  return payloads;
}

/** Numbers and stamps payloads as RTP packets, sequence numbers and timestamps wrapping like a sender's. */
export class RtpStamper {
  constructor(
    private sequence: number,
    private readonly payloadType: number,
  ) {}

  /** One frame's packets at `timestamp` (32-bit, wraps); the marker on the last. */
  frame(payloads: readonly Uint8Array[], timestamp: number): RtpInput[] {
    return payloads.map((payload, i) => {
      const sequenceNumber = this.sequence;
      this.sequence = (this.sequence + 1) & 0xffff;
      const marker = i === payloads.length - 1;
      return { header: { sequenceNumber, timestamp: timestamp >>> 0, marker, payloadType: this.payloadType }, payload };
    });
  }
}
