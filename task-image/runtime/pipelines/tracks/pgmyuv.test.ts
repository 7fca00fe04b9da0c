import { describe, expect, it } from 'vitest';
import { blackPgmyuv, toPgmyuv } from './pgmyuv.ts';

function i420(width: number, height: number): Uint8Array {
  const cw = Math.ceil(width / 2);
  const ch = Math.ceil(height / 2);
  const data = new Uint8Array(width * height + cw * ch * 2);
  for (let i = 0; i < width * height; i += 1) data[i] = i % 251;
  data.fill(100, width * height, width * height + cw * ch);
  data.fill(200, width * height + cw * ch);
  return data;
}

describe('toPgmyuv', () => {
  it('writes the header with 3/2 of the height, the Y plane, then U and V halves side by side per row', () => {
    const out = toPgmyuv({ width: 4, height: 2, data: i420(4, 2) });
    const header = 'P5\n4 3\n255\n';
    expect(out.subarray(0, header.length).toString('ascii')).toBe(header);
    const body = out.subarray(header.length);
    expect([...body.subarray(0, 8)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...body.subarray(8)]).toEqual([100, 100, 200, 200]);
  });

  it('drops the last column and row of an odd-sized picture, keeping its strides', () => {
    const out = toPgmyuv({ width: 5, height: 3, data: i420(5, 3) });
    const header = 'P5\n4 3\n255\n';
    expect(out.subarray(0, header.length).toString('ascii')).toBe(header);
    const body = out.subarray(header.length);
    expect([...body.subarray(0, 8)]).toEqual([0, 1, 2, 3, 5, 6, 7, 8]);
    expect([...body.subarray(8)]).toEqual([100, 100, 200, 200]);
    expect(body.length).toBe(12);
  });

  it('refuses data too short for the size', () => {
    expect(() => toPgmyuv({ width: 4, height: 4, data: new Uint8Array(10) })).toThrow(RangeError);
  });

  it('draws black as video-range luma 16 and neutral chroma', () => {
    const out = blackPgmyuv(4, 2);
    const body = out.subarray('P5\n4 3\n255\n'.length);
    expect([...body]).toEqual([16, 16, 16, 16, 16, 16, 16, 16, 128, 128, 128, 128]);
  });
});
