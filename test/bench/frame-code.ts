/**
 * The machine-readable frame number: a strip across the top of the frame made of large black/white cells,
 * laid out in fractions of the frame so it survives scaling and lossy VP8/H.264/VP9 compression.
 *
 * Cells, left to right: white guard, black guard, {@link FRAME_CODE_BITS} data bits (most significant
 * first), an even-parity bit, black guard, white guard. The guards give the decoder its own black and white
 * levels (so limited/full range and encoder gain do not matter) and let it reject frames without a code.
 */

/** Number of data bits: 2^24 frames is 6.5 days at 30 fps. */
export const FRAME_CODE_BITS = 24;
const CELLS = 2 + FRAME_CODE_BITS + 1 + 2;
/** Luma of black and white cells (video range, as encoders expect). */
const BLACK = 16;
const WHITE = 235;
/** The decoder refuses a frame whose guards differ by less than this (no code present, or washed out). */
const MIN_GUARD_CONTRAST = 48;

/** Height of the code strip in rows for a frame of `height` rows. */
export function codeStripHeight(height: number): number {
  return Math.max(4, Math.round(height / 12));
}

function cellLevels(value: number): boolean[] {
  const bits: boolean[] = [true, false];
  let ones = 0;
  for (let bit = FRAME_CODE_BITS - 1; bit >= 0; bit--) {
    const on = Math.floor(value / 2 ** bit) % 2 === 1;
    if (on) ones++;
    bits.push(on);
  }
  bits.push(ones % 2 === 1, false, true);
  return bits;
}

function cellStart(cell: number, width: number): number {
  return Math.floor((cell * width) / CELLS);
}

/**
 * Draws the code for `value` into the luma plane `y` (stride = `width`), over the top
 * {@link codeStripHeight} rows. `value` is taken modulo 2^{@link FRAME_CODE_BITS}.
 */
export function drawFrameCode(y: Uint8Array, width: number, height: number, value: number): void {
  const levels = cellLevels(value % 2 ** FRAME_CODE_BITS);
  const rows = codeStripHeight(height);
  const row = new Uint8Array(width);
  levels.forEach((on, cell) => row.fill(on ? WHITE : BLACK, cellStart(cell, width), cellStart(cell + 1, width)));
  for (let r = 0; r < rows; r++) y.set(row, r * width);
}

/** Mean of the inner half (in both directions) of one cell: edges blur under compression and scaling. */
function cellMean(gray: Uint8Array, width: number, rows: number, cell: number): number {
  const x0 = cellStart(cell, width);
  const x1 = cellStart(cell + 1, width);
  const left = x0 + Math.floor((x1 - x0) / 4);
  const right = Math.max(left + 1, x1 - Math.floor((x1 - x0) / 4));
  const top = Math.floor(rows / 4);
  const bottom = Math.max(top + 1, rows - Math.floor(rows / 4));
  let sum = 0;
  for (let r = top; r < bottom; r++) {
    const base = r * width;
    for (let x = left; x < right; x++) sum += gray[base + x] ?? 0;
  }
  return sum / ((bottom - top) * (right - left));
}

/**
 * Reads the frame number from an 8-bit luma/gray image (stride = `width`). Returns `null` when the guards
 * are missing or the parity fails, so a damaged frame is reported as undecodable rather than misread.
 */
export function readFrameCode(gray: Uint8Array, width: number, height: number): number | null {
  if (width < CELLS * 2 || gray.length < width * height) return null;
  const rows = codeStripHeight(height);
  const means = Array.from({ length: CELLS }, (_, cell) => cellMean(gray, width, rows, cell));
  const at = (i: number): number => means[i] ?? 0;
  const white = (at(0) + at(CELLS - 1)) / 2;
  const black = (at(1) + at(CELLS - 2)) / 2;
  if (white - black < MIN_GUARD_CONTRAST) return null;
  // Each guard must itself sit on its own side of the threshold, or the strip is not there.
  const threshold = (white + black) / 2;
  if (Math.min(at(0), at(CELLS - 1)) < threshold || Math.max(at(1), at(CELLS - 2)) > threshold) return null;
  let value = 0;
  let ones = 0;
  for (let bit = 0; bit < FRAME_CODE_BITS; bit++) {
    const on = at(2 + bit) > threshold;
    value = value * 2 + (on ? 1 : 0);
    if (on) ones++;
  }
  const parity = at(2 + FRAME_CODE_BITS) > threshold;
  return (ones + (parity ? 1 : 0)) % 2 === 0 ? value : null;
}
