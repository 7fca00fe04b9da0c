/**
 * The few fields of an H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1) that an MP4 sample entry
 * needs: profile, level, chroma format, bit depths and the cropped picture size.
 */

/** What {@link parseH264Sps} reads. */
export interface H264SpsInfo {
  readonly profileIdc: number;
  /** The constraint-flags byte (profile_compatibility in avcC). */
  readonly constraints: number;
  readonly levelIdc: number;
  readonly chromaFormatIdc: number;
  readonly bitDepthLuma: number;
  readonly bitDepthChroma: number;
  readonly width: number;
  readonly height: number;
}

/** Profiles whose SPS carries chroma format and bit depth (§7.3.2.1.1). */
const highProfiles = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** The NAL unit's payload without emulation-prevention bytes (00 00 03 → 00 00). */
function rbsp(nal: Uint8Array): Uint8Array {
  const out = new Uint8Array(nal.length);
  let length = 0;
  let zeros = 0;
  for (let i = 1; i < nal.length; i++) {
    const byte = nal[i] ?? 0;
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    zeros = byte === 0 ? zeros + 1 : 0;
    out[length++] = byte;
  }
  return out.subarray(0, length);
}

/** Reads bits, unsigned and Exp-Golomb codes; reading past the end throws a RangeError. */
class BitReader {
  private bit = 0;

  constructor(private readonly bytes: Uint8Array) {}

  u(n: number): number {
    let value = 0;
    for (let i = 0; i < n; i++, this.bit++) {
      const byte = this.bytes[this.bit >> 3];
      if (byte === undefined) throw new RangeError('SPS ends early');
      value = value * 2 + ((byte >> (7 - (this.bit & 7))) & 1);
    }
    return value;
  }

  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) if (++zeros > 31) throw new RangeError('bad Exp-Golomb code in SPS');
    return 2 ** zeros - 1 + this.u(zeros);
  }

  se(): number {
    const k = this.ue();
    return k % 2 === 1 ? (k + 1) / 2 : -k / 2;
  }
}

function skipScalingLists(r: BitReader, count: number): void {
  for (let i = 0; i < count; i++) {
    if (r.u(1) === 0) continue;
    const size = i < 6 ? 16 : 64;
    let last = 8;
    let next = 8;
    for (let j = 0; j < size && next !== 0; j++) {
      next = (last + r.se() + 256) % 256;
      last = next === 0 ? last : next;
    }
  }
}

/** Chroma format and bit depths: read from the SPS of the high profiles, fixed (4:2:0, 8 bits) otherwise. */
function readChroma(
  r: BitReader,
  profileIdc: number,
): Pick<H264SpsInfo, 'chromaFormatIdc' | 'bitDepthLuma' | 'bitDepthChroma'> {
  if (!highProfiles.has(profileIdc)) return { chromaFormatIdc: 1, bitDepthLuma: 8, bitDepthChroma: 8 };
  const chromaFormatIdc = r.ue();
  if (chromaFormatIdc === 3) r.u(1); // separate_colour_plane_flag
  const bitDepthLuma = r.ue() + 8;
  const bitDepthChroma = r.ue() + 8;
  r.u(1); // qpprime_y_zero_transform_bypass_flag
  if (r.u(1) === 1) skipScalingLists(r, chromaFormatIdc === 3 ? 12 : 8);
  return { chromaFormatIdc, bitDepthLuma, bitDepthChroma };
}

/** Parses an SPS NAL unit (header byte included); undefined when it is truncated or malformed. */
export function parseH264Sps(nal: Uint8Array): H264SpsInfo | undefined {
  try {
    const r = new BitReader(rbsp(nal));
    const profileIdc = r.u(8);
    const constraints = r.u(8);
    const levelIdc = r.u(8);
    r.ue(); // seq_parameter_set_id
    const chroma = readChroma(r, profileIdc);
    const { chromaFormatIdc } = chroma;
    r.ue(); // log2_max_frame_num_minus4
    const pocType = r.ue();
    if (pocType === 0) r.ue();
    else if (pocType === 1) {
      r.u(1);
      r.se();
      r.se();
      const cycle = r.ue();
      for (let i = 0; i < cycle; i++) r.se();
    }
    r.ue(); // max_num_ref_frames
    r.u(1); // gaps_in_frame_num_value_allowed_flag
    const widthMbs = r.ue() + 1;
    const heightUnits = r.ue() + 1;
    const frameMbsOnly = r.u(1);
    if (frameMbsOnly === 0) r.u(1); // mb_adaptive_frame_field_flag
    r.u(1); // direct_8x8_inference_flag
    let [left, right, top, bottom] = [0, 0, 0, 0];
    if (r.u(1) === 1) [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];
    const cropX = chromaFormatIdc === 1 || chromaFormatIdc === 2 ? 2 : 1;
    const cropY = (chromaFormatIdc === 1 ? 2 : 1) * (2 - frameMbsOnly);
    return {
      profileIdc,
      constraints,
      levelIdc,
      ...chroma,
      width: widthMbs * 16 - cropX * (left + right),
      height: (2 - frameMbsOnly) * heightUnits * 16 - cropY * (top + bottom),
    };
  } catch {
    return undefined;
  }
}
