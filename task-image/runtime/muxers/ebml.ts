/**
 * EBML encoding (RFC 8794) for the few element types a WebM writer needs: master elements, unsigned
 * integers, strings and binary, with sizes as minimal variable-length integers, plus the "unknown size"
 * marker that lets a Segment or Cluster be written before its length is known.
 */

/** An 8-byte size with all value bits set: "unknown size" (RFC 8794 §6.2). */
export const unknownSize = Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/** Element IDs used by the WebM writer (Matroska, RFC 9559), with their marker bits. */
export const Id = {
  EBML: 0x1a45dfa3,
  EBMLVersion: 0x4286,
  EBMLReadVersion: 0x42f7,
  EBMLMaxIDLength: 0x42f2,
  EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282,
  DocTypeVersion: 0x4287,
  DocTypeReadVersion: 0x4285,
  Segment: 0x18538067,
  Info: 0x1549a966,
  TimestampScale: 0x2ad7b1,
  MuxingApp: 0x4d80,
  WritingApp: 0x5741,
  Duration: 0x4489,
  Void: 0xec,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackUID: 0x73c5,
  TrackType: 0x83,
  FlagLacing: 0x9c,
  CodecID: 0x86,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  Cluster: 0x1f43b675,
  Timestamp: 0xe7,
  SimpleBlock: 0xa3,
} as const;

/** The ID's bytes, as written (the ID already carries its length marker). */
export function idBytes(id: number): Uint8Array {
  const length = id >= 0x1000000 ? 4 : id >= 0x10000 ? 3 : id >= 0x100 ? 2 : 1;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.floor(id / 256 ** (length - 1 - i)) & 0xff;
  return out;
}

/** A size as the shortest variable-length integer (all-ones values are reserved for "unknown"). */
export function sizeBytes(size: number): Uint8Array {
  let length = 1;
  while (size >= 2 ** (7 * length) - 1) length++;
  if (length > 8) throw new RangeError(`EBML size too large: ${size}`);
  const out = new Uint8Array(length);
  let rest = size;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  out[0] = (out[0] ?? 0) | (0x80 >> (length - 1));
  return out;
}

/** An element with a binary payload. */
export function element(id: number, payload: Uint8Array): Uint8Array {
  const head = idBytes(id);
  const size = sizeBytes(payload.length);
  const out = new Uint8Array(head.length + size.length + payload.length);
  out.set(head, 0);
  out.set(size, head.length);
  out.set(payload, head.length + size.length);
  return out;
}

/** A master element holding `children`. */
export function master(id: number, children: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const child of children) length += child.length;
  const payload = new Uint8Array(length);
  let offset = 0;
  for (const child of children) {
    payload.set(child, offset);
    offset += child.length;
  }
  return element(id, payload);
}

/** An unsigned integer element in the fewest bytes (up to 2^53). */
export function uint(id: number, value: number): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  do {
    bytes.unshift(rest % 256);
    rest = Math.floor(rest / 256);
  } while (rest > 0);
  return element(id, Uint8Array.from(bytes));
}

/** A string element (ASCII or UTF-8). */
export function text(id: number, value: string): Uint8Array {
  return element(id, new TextEncoder().encode(value));
}

/** A Void element of `length` bytes in all (2 to 127): space kept to be overwritten later. */
export function voidElement(length: number): Uint8Array {
  return element(Id.Void, new Uint8Array(length - 2));
}

/** A Duration element (11 bytes: a float64 in TimestampScale units), the size of `voidElement(11)`. */
export function durationElement(value: number): Uint8Array {
  const payload = new Uint8Array(8);
  new DataView(payload.buffer).setFloat64(0, value);
  return element(Id.Duration, payload);
}
