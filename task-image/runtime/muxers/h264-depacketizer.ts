/**
 * H.264 over RTP, packetization mode 1 (RFC 6184 §5.6–5.8): single NAL unit packets, STAP-A aggregates and
 * FU-A fragments are turned into access units in AVCC form (each NAL unit behind a 4-byte big-endian
 * length), as MP4 stores them. Every NAL unit is kept as sent, parameter sets included; the latest SPS and
 * PPS are also kept for the MP4 sample entry.
 */
import { FrameAssembler, concatBytes, type AssembledFrame } from './frame-assembler.ts';

/** NAL unit types this module looks at (ITU-T H.264 Table 7-1, RFC 6184 Table 1). */
export const NalType = { idr: 5, sps: 7, pps: 8, stapA: 24, fuA: 28 } as const;

/** The NAL units of one STAP-A payload, or undefined when a size runs past the end. */
export function stapANalUnits(payload: Uint8Array): Uint8Array[] | undefined {
  const units: Uint8Array[] = [];
  for (let offset = 1; offset < payload.length;) {
    if (offset + 2 > payload.length) return undefined;
    const size = ((payload[offset] ?? 0) << 8) | (payload[offset + 1] ?? 0);
    offset += 2;
    if (size === 0 || offset + size > payload.length) return undefined;
    units.push(payload.subarray(offset, offset + size));
    offset += size;
  }
  return units;
}

/** `units` in AVCC form: each behind its 4-byte length. */
export function toAvcc(units: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const unit of units) length += 4 + unit.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const unit of units) {
    view.setUint32(offset, unit.length);
    out.set(unit, offset + 4);
    offset += 4 + unit.length;
  }
  return out;
}

/** Assembles H.264 access units from RTP payloads. */
export class H264Depacketizer extends FrameAssembler {
  private units: Uint8Array[] = [];
  /** Fragments of the FU-A NAL unit in progress (its reconstructed header first). */
  private fragments: Uint8Array[] | undefined;
  private sps: Uint8Array | undefined;
  private pps: Uint8Array | undefined;

  /** The latest sequence and picture parameter sets seen, once both have been. */
  get parameterSets(): { readonly sps: Uint8Array; readonly pps: Uint8Array } | undefined {
    return this.sps === undefined || this.pps === undefined ? undefined : { sps: this.sps, pps: this.pps };
  }

  protected begin(payload: Uint8Array): boolean {
    this.units = [];
    this.fragments = undefined;
    return this.add(payload);
  }

  protected add(payload: Uint8Array): boolean {
    const type = (payload[0] ?? 0) & 0x1f;
    if (type >= 1 && type <= 23) {
      if (this.fragments !== undefined) return false;
      this.units.push(payload);
      return true;
    }
    if (type === NalType.stapA) {
      const units = stapANalUnits(payload);
      if (units === undefined || this.fragments !== undefined) return false;
      this.units.push(...units);
      return true;
    }
    if (type === NalType.fuA) return this.fragment(payload);
    return false; // STAP-B, MTAP and FU-B belong to the interleaved mode, which is never negotiated
  }

  protected end(marker: boolean): AssembledFrame | undefined {
    const units = this.units;
    this.units = [];
    if (!marker || this.fragments !== undefined || units.length === 0) {
      this.fragments = undefined;
      return undefined;
    }
    let keyFrame = false;
    for (const unit of units) {
      const type = (unit[0] ?? 0) & 0x1f;
      if (type === NalType.idr) keyFrame = true;
      // Copies: the packet buffers are not ours to keep.
      else if (type === NalType.sps) this.sps = unit.slice();
      else if (type === NalType.pps) this.pps = unit.slice();
    }
    return { data: toAvcc(units), keyFrame };
  }

  private fragment(payload: Uint8Array): boolean {
    const header = payload[1];
    if (header === undefined || payload.length < 3) return false;
    const start = (header & 0x80) !== 0;
    if (start === (this.fragments !== undefined)) return false;
    if (start) this.fragments = [Uint8Array.of(((payload[0] ?? 0) & 0xe0) | (header & 0x1f))];
    this.fragments?.push(payload.subarray(2));
    if ((header & 0x40) !== 0 && this.fragments !== undefined) {
      this.units.push(concatBytes(this.fragments));
      this.fragments = undefined;
    }
    return true;
  }
}
