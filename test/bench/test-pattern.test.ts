import { describe, expect, it } from 'vitest';
import { digitsBoxSize, drawDigits } from './digit-font.ts';
import { FRAME_CODE_BITS, codeStripHeight, drawFrameCode, readFrameCode } from './frame-code.ts';
import { isFlashFrame } from './sync-schedule.ts';
import { TestPattern } from './test-pattern.ts';

/** Deterministic noise in −amplitude..amplitude (a linear congruential generator). */
function addNoise(plane: Uint8Array, amplitude: number, seed = 7): Uint8Array {
  let state = seed;
  return plane.map((v) => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return Math.max(0, Math.min(255, v + ((state % (2 * amplitude + 1)) - amplitude)));
  });
}

describe('frame code', () => {
  it.each([
    [640, 360],
    [320, 180],
    [1280, 720],
    [96, 54],
  ])('reads back every kind of value at %ix%i', (width, height) => {
    for (const value of [0, 1, 2, 29, 30, 1023, 123_456, 2 ** FRAME_CODE_BITS - 1]) {
      const y = new Uint8Array(width * height).fill(90);
      drawFrameCode(y, width, height, value);
      expect(readFrameCode(y, width, height)).toBe(value);
    }
  });

  it('reads the code through heavy pixel noise', () => {
    const y = new Uint8Array(320 * 180).fill(90);
    drawFrameCode(y, 320, 180, 654_321);
    expect(readFrameCode(addNoise(y, 60), 320, 180)).toBe(654_321);
  });

  it('rejects a frame without a code', () => {
    expect(readFrameCode(new Uint8Array(320 * 180).fill(128), 320, 180)).toBeNull();
    expect(readFrameCode(addNoise(new Uint8Array(320 * 180).fill(128), 100), 320, 180)).toBeNull();
  });

  it('rejects a code with one flipped bit (parity)', () => {
    const width = 290;
    const height = 120;
    const y = new Uint8Array(width * height).fill(90);
    drawFrameCode(y, width, height, 0b1010);
    // Cell 2 + 23 is the least significant data bit: 10 px per cell at this width.
    const x0 = (2 + FRAME_CODE_BITS - 1) * 10;
    for (let row = 0; row < codeStripHeight(height); row++) y.fill(235, row * width + x0, row * width + x0 + 10);
    expect(readFrameCode(y, width, height)).toBeNull();
  });
});

describe('digit font', () => {
  it('draws ten distinct glyphs inside the box it reports', () => {
    const size = digitsBoxSize('0', 3);
    const glyphs = new Set<string>();
    for (let d = 0; d < 10; d++) {
      const y = new Uint8Array(size.width * size.height).fill(100);
      drawDigits(y, size.width, size.height, String(d), { x: 0, y: 0, scale: 3 });
      expect(y.every((v) => v === 16 || v === 235)).toBe(true);
      glyphs.add(Buffer.from(y).toString('base64'));
    }
    expect(glyphs.size).toBe(10);
  });
});

describe('test pattern', () => {
  const pattern = new TestPattern({ width: 320, height: 180, fps: 30 });
  const luma = (frame: Uint8Array): Uint8Array => frame.subarray(0, 320 * 180);
  const meanBelowStrip = (frame: Uint8Array): number => {
    const rows = luma(frame).subarray(codeStripHeight(180) * 320);
    return rows.reduce((s, v) => s + v, 0) / rows.length;
  };

  it('numbers every frame and changes the picture every frame', () => {
    const a = pattern.render(100);
    const b = pattern.render(101);
    expect(readFrameCode(luma(a), 320, 180)).toBe(100);
    expect(readFrameCode(luma(b), 320, 180)).toBe(101);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).not.toBe(0);
  });

  it('flashes exactly the frames inside a beep and keeps them countable', () => {
    const flashes = Array.from({ length: 90 }, (_, n) => n).filter((n) => pattern.isFlash(n));
    expect(flashes).toEqual([0, 1, 2, 30, 31, 32, 60, 61, 62]);
    expect(meanBelowStrip(pattern.render(30))).toBeGreaterThan(200);
    expect(meanBelowStrip(pattern.render(33))).toBeLessThan(110);
    expect(readFrameCode(luma(pattern.render(31)), 320, 180)).toBe(31);
  });

  it('puts a flash on the first frame at or after each whole second, at any whole frame rate', () => {
    for (const fps of [24, 25, 30, 60]) {
      expect(isFlashFrame(fps, fps)).toBe(true);
      expect(isFlashFrame(fps - 1, fps)).toBe(false);
    }
  });

  it('rejects an odd size or a fractional frame rate', () => {
    expect(() => new TestPattern({ width: 321, height: 180, fps: 30 })).toThrow(RangeError);
    expect(() => new TestPattern({ width: 320, height: 180, fps: 29.97 })).toThrow(RangeError);
  });
});
