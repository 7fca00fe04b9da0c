/**
 * Ogg pages (RFC 3533 §6): header, lacing values and the page CRC. Every packet handed to a page must end
 * on it (no continued packets): the writers keep packets far below the 255 × 255 byte page limit.
 */

/** Header type flags (RFC 3533 §6, byte 5). */
export const OggFlags = { continued: 0x01, firstPage: 0x02, lastPage: 0x04 } as const;

/** CRC-32 of Ogg: polynomial 0x04C11DB7, initial value 0, no reflection, no final XOR. */
const crcTable = ((): Uint32Array => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let bit = 0; bit < 8; bit++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** The Ogg CRC-32 of `bytes`. */
export function oggCrc(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) ^ (crcTable[((crc >>> 24) ^ byte) & 0xff] ?? 0)) >>> 0;
  return crc;
}

/** Lacing values one packet needs: a 255 per full 255 bytes, then the remainder (0 if none). */
export function lacingSegments(length: number): number {
  return Math.floor(length / 255) + 1;
}

/** What goes into one page. */
export interface OggPageFields {
  readonly serial: number;
  readonly sequence: number;
  /** Granule position after the last packet that ends on this page (−1: none ends here). */
  readonly granule: bigint;
  readonly flags: number;
  readonly packets: readonly Uint8Array[];
}

/** Serialises one page with its CRC. At most 255 lacing values in total. */
export function oggPage(fields: OggPageFields): Uint8Array {
  const lacing: number[] = [];
  let bodyLength = 0;
  for (const packet of fields.packets) {
    for (let left = packet.length; ; left -= 255) {
      lacing.push(Math.min(left, 255));
      if (left < 255) break;
    }
    bodyLength += packet.length;
  }
  if (lacing.length > 255) throw new RangeError(`an Ogg page holds at most 255 segments, got ${lacing.length}`);
  const page = new Uint8Array(27 + lacing.length + bodyLength);
  const view = new DataView(page.buffer);
  page.set([0x4f, 0x67, 0x67, 0x53], 0); // "OggS"
  page[4] = 0; // version
  page[5] = fields.flags;
  view.setBigInt64(6, fields.granule, true);
  view.setUint32(14, fields.serial, true);
  view.setUint32(18, fields.sequence, true);
  page[26] = lacing.length;
  page.set(lacing, 27);
  let offset = 27 + lacing.length;
  for (const packet of fields.packets) {
    page.set(packet, offset);
    offset += packet.length;
  }
  view.setUint32(22, oggCrc(page), true);
  return page;
}
