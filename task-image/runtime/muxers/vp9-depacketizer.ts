/**
 * VP9 over RTP (RFC 9628): strips the payload descriptor and joins a picture's packets. A picture may hold
 * several spatial-layer frames (B … E each); more than one are packed into a VP9 superframe (VP9 bitstream
 * specification, Annex B), which is how WebM carries a picture.
 */
import { FrameAssembler, concatBytes, type AssembledFrame } from './frame-assembler.ts';

/** The payload descriptor of one packet (RFC 9628 §4.2). */
export interface Vp9Descriptor {
  /** B: first packet of a layer frame. */
  readonly beginsLayerFrame: boolean;
  /** E: last packet of a layer frame. */
  readonly endsLayerFrame: boolean;
  /** P: the frame references an earlier picture. */
  readonly interPicture: boolean;
  /** Spatial layer id (0 when the descriptor has no layer indices). */
  readonly spatialId: number;
  readonly headerLength: number;
}

/** Parses the descriptor, or undefined when the payload is shorter than it says. */
export function parseVp9Descriptor(payload: Uint8Array): Vp9Descriptor | undefined {
  const first = payload[0];
  if (first === undefined) return undefined;
  const [hasPictureId, inter, hasLayers, flexible, hasSs] = [0x80, 0x40, 0x20, 0x10, 0x02].map(
    (bit) => (first & bit) !== 0,
  );
  let offset = 1;
  if (hasPictureId) offset += ((payload[offset] ?? 0) & 0x80) !== 0 ? 2 : 1;
  let spatialId = 0;
  if (hasLayers) {
    spatialId = ((payload[offset] ?? 0) >> 1) & 0x07;
    offset += flexible ? 1 : 2; // non-flexible mode adds TL0PICIDX
  }
  if (flexible && inter) {
    // Up to three P_DIFF bytes; N (bit 0) says another follows.
    for (let i = 0; i < 3 && ((payload[offset++] ?? 0) & 0x01) !== 0; i++);
  }
  if (hasSs) offset = skipScalabilityStructure(payload, offset);
  if (offset >= payload.length) return undefined;
  return {
    beginsLayerFrame: (first & 0x08) !== 0,
    endsLayerFrame: (first & 0x04) !== 0,
    interPicture: inter === true,
    spatialId,
    headerLength: offset,
  };
}

/** Skips the scalability structure (RFC 9628 §4.2.1). */
function skipScalabilityStructure(payload: Uint8Array, start: number): number {
  let offset = start;
  const ss = payload[offset++] ?? 0;
  const layers = (ss >> 5) + 1;
  if ((ss & 0x10) !== 0) offset += 4 * layers; // WIDTH and HEIGHT per layer
  if ((ss & 0x08) !== 0) {
    const pictures = payload[offset++] ?? 0;
    for (let i = 0; i < pictures; i++) {
      const references = ((payload[offset++] ?? 0) >> 2) & 0x03;
      offset += references;
    }
  }
  return offset;
}

/** A VP9 superframe of `frames` (Annex B): the frames, then an index of their sizes framed by marker bytes. */
export function vp9Superframe(frames: readonly Uint8Array[]): Uint8Array {
  const largest = Math.max(...frames.map((f) => f.length));
  const sizeBytes = largest < 0x100 ? 1 : largest < 0x10000 ? 2 : largest < 0x1000000 ? 3 : 4;
  const marker = 0xc0 | ((sizeBytes - 1) << 3) | (frames.length - 1);
  const index = new Uint8Array(2 + sizeBytes * frames.length);
  index[0] = marker;
  frames.forEach((frame, i) => {
    for (let b = 0; b < sizeBytes; b++) index[1 + i * sizeBytes + b] = (frame.length >> (8 * b)) & 0xff;
  });
  index[index.length - 1] = marker;
  return concatBytes([...frames, index]);
}

/** Width and height of a VP9 key frame from its uncompressed header (VP9 bitstream specification §6.2). */
export function vp9FrameSize(frame: Uint8Array): { width: number; height: number } | undefined {
  let bit = 0;
  const read = (n: number): number => {
    let value = 0;
    for (let i = 0; i < n; i++, bit++) value = (value << 1) | (((frame[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1);
    return value;
  };
  if (frame.length < 10 || read(2) !== 2) return undefined; // frame_marker
  const profile = read(1) | (read(1) << 1);
  if (profile === 3) read(1);
  if (read(1) === 1 || read(1) !== 0) return undefined; // show_existing_frame; frame_type must be KEY_FRAME
  read(2); // show_frame, error_resilient_mode
  if (read(24) !== 0x498342) return undefined; // frame_sync_code
  if (profile >= 2) read(1); // ten_or_twelve_bit
  if (read(3) !== 7) {
    read(1); // color_range
    if (profile === 1 || profile === 3) read(3); // subsampling_x, subsampling_y, reserved_zero
  } else if (profile === 1 || profile === 3) read(1);
  return { width: read(16) + 1, height: read(16) + 1 };
}

/** Assembles VP9 pictures from RTP payloads. */
export class Vp9Depacketizer extends FrameAssembler {
  private layers: Uint8Array[][] = [];
  private keyFrame = false;
  private layerOpen = false;

  protected begin(payload: Uint8Array): boolean {
    const d = parseVp9Descriptor(payload);
    if (d?.beginsLayerFrame !== true) return false;
    this.keyFrame = !d.interPicture && d.spatialId === 0;
    this.layers = [[payload.subarray(d.headerLength)]];
    this.layerOpen = !d.endsLayerFrame;
    return true;
  }

  protected add(payload: Uint8Array): boolean {
    const d = parseVp9Descriptor(payload);
    if (d === undefined || d.beginsLayerFrame === this.layerOpen) return false;
    const data = payload.subarray(d.headerLength);
    if (d.beginsLayerFrame) this.layers.push([data]);
    else this.layers.at(-1)?.push(data);
    this.layerOpen = !d.endsLayerFrame;
    return true;
  }

  protected end(): AssembledFrame | undefined {
    const layers = this.layers.map(concatBytes);
    this.layers = [];
    // Without the marker bit (the server dropped the top layer) the picture is whole if its last frame is.
    if (this.layerOpen) return undefined;
    const data = layers.length === 1 && layers[0] !== undefined ? layers[0] : vp9Superframe(layers);
    return { data, keyFrame: this.keyFrame };
  }
}
