import { expect, test } from 'vitest';
import { JpegSplitter } from './jpeg-splitter.ts';

function segment(marker: number, payload: number[]): number[] {
  const length = payload.length + 2;
  return [0xff, marker, length >> 8, length & 0xff, ...payload];
}

/**
 * A structurally valid JPEG: APP1 and DQT payloads that contain FFD9 (an EXIF thumbnail's end, a table
 * value), entropy data with stuffed FF00 and a restart marker, then EOI.
 */
function jpeg(seed: number): Buffer {
  return Buffer.from([
    0xff,
    0xd8,
    ...segment(0xe1, [0x45, 0x78, 0x69, 0x66, 0xff, 0xd8, 0x01, 0xff, 0xd9, seed]),
    ...segment(0xdb, [0x00, 0xff, 0xd9, 0x10]),
    ...segment(0xc0, [8, 0, 2, 0, 2, 1, 1, 0x11, 0]),
    ...segment(0xda, [1, 1, 0, 0, 63, 0]),
    seed,
    0xff,
    0x00,
    0x12,
    0xff,
    0xd0,
    0x34,
    0xff,
    0x00,
    seed,
    0xff,
    0xd9,
  ]);
}

test('splits concatenated JPEGs at their EOI, whatever the chunking', () => {
  const images = [jpeg(1), jpeg(2), jpeg(3)];
  const stream = Buffer.concat(images);
  for (const size of [1, 2, 3, 7, 16, stream.length]) {
    const splitter = new JpegSplitter();
    const out: Buffer[] = [];
    for (let at = 0; at < stream.length; at += size) out.push(...splitter.push(stream.subarray(at, at + size)));
    expect(out, `chunks of ${size}`).toEqual(images);
    expect(splitter.bufferedBytes).toBe(0);
    expect(splitter.discardedBytes).toBe(0);
  }
});

test('ignores FFD9 inside header segments and stuffed entropy data', () => {
  const image = jpeg(0xff);
  const out = new JpegSplitter().push(image);
  expect(out).toHaveLength(1);
  expect(out[0]?.length).toBe(image.length);
});

test('holds an incomplete image until its EOI arrives', () => {
  const image = jpeg(4);
  const splitter = new JpegSplitter();
  expect(splitter.push(image.subarray(0, image.length - 1))).toEqual([]);
  expect(splitter.bufferedBytes).toBe(image.length - 1);
  expect(splitter.push(image.subarray(image.length - 1))).toEqual([image]);
});

test('drops bytes that are not part of an image', () => {
  const splitter = new JpegSplitter();
  const out = splitter.push(Buffer.concat([Buffer.from([1, 2, 3, 0xff]), jpeg(5), Buffer.from([9, 9]), jpeg(6)]));
  expect(out).toEqual([jpeg(5), jpeg(6)]);
  expect(splitter.discardedBytes).toBe(6);
});

test('fails rather than buffer an image beyond the bound', () => {
  const splitter = new JpegSplitter(64);
  const open = Buffer.concat([jpeg(7).subarray(0, 40), Buffer.alloc(100, 0x11)]);
  expect(() => splitter.push(open)).toThrow(/larger than 64 bytes/);
});
