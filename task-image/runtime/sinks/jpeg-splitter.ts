import { EgressError } from '#domain/errors.ts';

/**
 * Splits a byte stream of concatenated JPEG images (what `ffmpeg -f image2pipe -c:v mjpeg` writes) into
 * whole images, each from its SOI (`FFD8`) to its EOI (`FFD9`).
 *
 * The end of an image is found by walking its markers, not by searching for `FFD9`: header segments
 * (APPn, DQT, DHT, COM…) carry a length and are skipped whole — an EXIF thumbnail or a table may contain
 * `FFD9` — and inside entropy-coded data every `FF` data byte is stuffed as `FF00` (ITU T.81 B.1.1.5), so
 * there the first `FF` followed by anything other than `00`, a restart marker (`D0`–`D7`) or fill (`FF`)
 * is the next marker. For ffmpeg's mjpeg encoder (baseline: headers, one scan, EOI) a plain scan for
 * `FFD9` would give the same cuts; walking the markers also holds for JPEGs from other producers
 * (progressive scans, EXIF).
 *
 * Bytes before an SOI (never produced by ffmpeg) are dropped and counted in {@link discardedBytes}.
 */
export class JpegSplitter {
  private pending: Buffer = Buffer.alloc(0);
  /** Where scanning resumes in {@link pending}; bytes before it are known to belong to the current image. */
  private pos = 0;
  private mode: 'soi' | 'segments' | 'entropy' = 'soi';
  /** Bytes that were not part of any image. */
  discardedBytes = 0;

  /** @param maxImageBytes An image larger than this fails the stream rather than growing the buffer. */
  constructor(private readonly maxImageBytes = 16 * 1024 * 1024) {}

  /** Adds bytes; returns the images they completed, in order (each a copy, independent of `chunk`). */
  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const images: Buffer[] = [];
    // Every step moves the cursor, changes mode or drops bytes, so two steps per byte suffice; the bound
    // turns a logic slip into an error instead of a hang.
    const maxSteps = 2 * this.pending.length + 4;
    for (let step = 0; ; step++) {
      if (step > maxSteps) throw new EgressError('internal', 'jpeg splitter made no progress');
      const end = this.advance();
      if (end === 'more') break;
      if (end === 'resync') continue;
      images.push(Buffer.from(this.pending.subarray(0, end)));
      this.pending = this.pending.subarray(end);
      this.pos = 0;
      this.mode = 'soi';
    }
    if (this.pending.length > this.maxImageBytes) {
      throw new EgressError('internal', `jpeg image larger than ${this.maxImageBytes} bytes in the image stream`);
    }
    return images;
  }

  /** Bytes held for an image not yet complete. */
  get bufferedBytes(): number {
    return this.pending.length;
  }

  /**
   * One step of the marker walk: the end offset of a complete image, `'more'` when more bytes are
   * needed, or `'resync'` after dropping bytes that were not a JPEG.
   */
  private advance(): number | 'more' | 'resync' {
    const buf = this.pending;
    if (this.mode === 'soi') return this.findStart(buf);
    if (this.mode === 'entropy') return this.skipEntropy(buf);
    if (this.pos + 2 > buf.length) return 'more';
    if (buf[this.pos] !== 0xff) return this.drop(1);
    const marker = buf[this.pos + 1] ?? 0;
    if (marker === 0xff) {
      this.pos += 1; // fill byte before a marker
      return 'resync';
    }
    if (marker === 0xd9) return this.pos + 2;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      this.pos += 2; // standalone markers carry no length
      return 'resync';
    }
    if (this.pos + 4 > buf.length) return 'more';
    const length = buf.readUInt16BE(this.pos + 2);
    if (length < 2) return this.drop(1);
    if (this.pos + 2 + length > buf.length) return 'more';
    this.pos += 2 + length;
    if (marker === 0xda) this.mode = 'entropy';
    return 'resync';
  }

  private findStart(buf: Buffer): 'more' | 'resync' {
    const soi = buf.indexOf(Buffer.from([0xff, 0xd8]));
    if (soi < 0) {
      // Keep a trailing FF: it may be the first half of the next SOI.
      const keep = buf.length > 0 && buf[buf.length - 1] === 0xff ? 1 : 0;
      this.discard(buf.length - keep);
      return 'more';
    }
    this.discard(soi);
    this.pos = 2;
    this.mode = 'segments';
    return 'resync';
  }

  /** Entropy-coded data ends at the first FF that is not stuffing, a restart marker or fill. */
  private skipEntropy(buf: Buffer): 'more' | 'resync' {
    let at = buf.indexOf(0xff, this.pos);
    while (at >= 0) {
      const next = buf[at + 1];
      if (next === undefined) {
        this.pos = at;
        return 'more';
      }
      if (next !== 0x00 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7)) {
        this.pos = at;
        this.mode = 'segments';
        return 'resync';
      }
      at = buf.indexOf(0xff, next === 0xff ? at + 1 : at + 2);
    }
    this.pos = buf.length;
    return 'more';
  }

  /** Not a JPEG after all: drop the bytes of this broken image up to `pos + skip` and look for an SOI. */
  private drop(skip: number): 'resync' {
    this.discard(this.pos + skip);
    this.pos = 0;
    this.mode = 'soi';
    return 'resync';
  }

  private discard(count: number): void {
    if (count <= 0) return;
    this.discardedBytes += count;
    this.pending = this.pending.subarray(count);
  }
}
