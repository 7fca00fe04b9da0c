/**
 * A 3×5 bitmap font for the digits 0–9, drawn scaled into a luma plane: the human-readable frame counter.
 * Each glyph is 15 bits, row by row from the top, most significant bit = top-left pixel.
 */
const GLYPHS: readonly number[] = [
  0b111_101_101_101_111, // 0
  0b010_110_010_010_111, // 1
  0b111_001_111_100_111, // 2
  0b111_001_111_001_111, // 3
  0b101_101_111_001_001, // 4
  0b111_100_111_001_111, // 5
  0b111_100_111_101_111, // 6
  0b111_001_001_001_001, // 7
  0b111_101_111_101_111, // 8
  0b111_101_111_001_111, // 9
];

const GLYPH_WIDTH = 3;
const GLYPH_HEIGHT = 5;

/** Where and how large to draw: `scale` pixels per font pixel, the box's top-left corner at (`x`, `y`). */
export interface TextPlacement {
  readonly x: number;
  readonly y: number;
  readonly scale: number;
}

/** Width and height in pixels of the box {@link drawDigits} fills for `text`. */
export function digitsBoxSize(text: string, scale: number): { width: number; height: number } {
  return { width: (text.length * (GLYPH_WIDTH + 1) + 1) * scale, height: (GLYPH_HEIGHT + 2) * scale };
}

/**
 * Draws `text` (digits only; other characters are left blank) as white on a black box into the luma plane
 * `y` of a `width`×`height` frame (stride = `width`). Pixels outside the frame are clipped.
 */
export function drawDigits(y: Uint8Array, width: number, height: number, text: string, at: TextPlacement): void {
  const box = digitsBoxSize(text, at.scale);
  fillRect(y, width, height, at.x, at.y, box.width, box.height, 16);
  for (let i = 0; i < text.length; i++) {
    const glyph = GLYPHS[text.charCodeAt(i) - 48];
    if (glyph === undefined) continue;
    const gx = at.x + (1 + i * (GLYPH_WIDTH + 1)) * at.scale;
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        const bit = GLYPH_WIDTH * GLYPH_HEIGHT - 1 - (row * GLYPH_WIDTH + col);
        if ((glyph >> bit) % 2 === 0) continue;
        fillRect(y, width, height, gx + col * at.scale, at.y + (row + 1) * at.scale, at.scale, at.scale, 235);
      }
    }
  }
}

/** Fills a rectangle of a plane with `value`, clipped to the plane. */
export function fillRect(
  plane: Uint8Array,
  width: number,
  height: number,
  x: number,
  y: number,
  w: number,
  h: number,
  value: number,
): void {
  const x0 = Math.max(0, x);
  const x1 = Math.min(width, x + w);
  if (x1 <= x0) return;
  for (let row = Math.max(0, y); row < Math.min(height, y + h); row++) {
    plane.fill(value, row * width + x0, row * width + x1);
  }
}
