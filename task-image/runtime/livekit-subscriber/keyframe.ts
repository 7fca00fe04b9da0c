/**
 * Key frame detection on RTP payloads, without depacketizing or decoding: enough to know that a PLI was
 * answered and that a file can start here. Each function looks at one packet's payload.
 */

/** Offset of the VP8 payload header after the RTP payload descriptor (RFC 7741 §4.2), if it is complete. */
function vp8HeaderOffset(p: Uint8Array): number | undefined {
  const first = p[0];
  if (first === undefined) return undefined;
  let offset = 1;
  if ((first & 0x80) !== 0) {
    const ext = p[1];
    if (ext === undefined) return undefined;
    offset = 2;
    if ((ext & 0x80) !== 0) offset += ((p[offset] ?? 0) & 0x80) !== 0 ? 2 : 1; // PictureID, 7 or 15 bits
    if ((ext & 0x40) !== 0) offset += 1; // TL0PICIDX
    if ((ext & 0x30) !== 0) offset += 1; // TID/Y/KEYIDX
  }
  return offset < p.length ? offset : undefined;
}

/** True when this VP8 packet starts a key frame (S=1, partition 0, P bit of the frame tag clear). */
export function isVp8KeyFrame(payload: Uint8Array): boolean {
  const first = payload[0];
  if (first === undefined || (first & 0x10) === 0 || (first & 0x07) !== 0) return false;
  const offset = vp8HeaderOffset(payload);
  return offset !== undefined && ((payload[offset] ?? 1) & 0x01) === 0;
}

/** Width and height from the start of a VP8 key frame (RFC 6386 §9.1), or undefined for other packets. */
export function vp8KeyFrameSize(payload: Uint8Array): { width: number; height: number } | undefined {
  if (!isVp8KeyFrame(payload)) return undefined;
  const o = vp8HeaderOffset(payload) ?? 0;
  if (payload[o + 3] !== 0x9d || payload[o + 4] !== 0x01 || payload[o + 5] !== 0x2a) return undefined;
  const width = ((payload[o + 6] ?? 0) | ((payload[o + 7] ?? 0) << 8)) & 0x3fff;
  const height = ((payload[o + 8] ?? 0) | ((payload[o + 9] ?? 0) << 8)) & 0x3fff;
  return { width, height };
}

/** NAL unit types carried by an H.264 RTP packet (RFC 6184): single NAL, STAP-A, or the start of an FU-A. */
export function h264NalTypes(payload: Uint8Array): number[] {
  const header = payload[0];
  if (header === undefined) return [];
  const type = header & 0x1f;
  if (type >= 1 && type <= 23) return [type];
  if (type === 24) {
    const types: number[] = [];
    for (let i = 1; i + 2 < payload.length;) {
      const size = ((payload[i] ?? 0) << 8) | (payload[i + 1] ?? 0);
      const nal = payload[i + 2];
      if (size === 0 || nal === undefined) break;
      types.push(nal & 0x1f);
      i += 2 + size;
    }
    return types;
  }
  if (type === 28) {
    const fu = payload[1];
    return fu !== undefined && (fu & 0x80) !== 0 ? [fu & 0x1f] : [];
  }
  return [];
}

/** True when this H.264 packet carries an SPS (7) or the start of an IDR slice (5). */
export function isH264KeyFrame(payload: Uint8Array): boolean {
  return h264NalTypes(payload).some((type) => type === 5 || type === 7);
}

/** True when this VP9 packet starts a key frame of spatial layer 0 (B=1, P=0, SID=0). */
export function isVp9KeyFrame(payload: Uint8Array): boolean {
  const first = payload[0];
  if (first === undefined || (first & 0x08) === 0 || (first & 0x40) !== 0) return false;
  if ((first & 0x20) === 0) return true; // no layer indices: single layer
  let offset = 1;
  if ((first & 0x80) !== 0) offset += ((payload[1] ?? 0) & 0x80) !== 0 ? 2 : 1;
  return (((payload[offset] ?? 0) >> 1) & 0x07) === 0;
}

/** True when this AV1 packet starts a new coded video sequence (aggregation header N bit). */
export function isAv1KeyFrame(payload: Uint8Array): boolean {
  return ((payload[0] ?? 0) & 0x08) !== 0;
}

/**
 * Key frame check for a codec by MIME type. `undefined` for codecs without key frames (audio) or without a
 * detector, so callers can tell "not a key frame" from "cannot tell".
 */
export function keyFrameDetector(mimeType: string): ((payload: Uint8Array) => boolean) | undefined {
  switch (mimeType.toLowerCase()) {
    case 'video/vp8':
      return isVp8KeyFrame;
    case 'video/vp9':
      return isVp9KeyFrame;
    case 'video/h264':
      return isH264KeyFrame;
    case 'video/av1':
      return isAv1KeyFrame;
    default:
      return undefined;
  }
}
