import { drawDigits, fillRect } from './digit-font.ts';
import { codeStripHeight, drawFrameCode } from './frame-code.ts';
import { isFlashFrame } from './sync-schedule.ts';

/** Size and rate of the synthetic video. */
export interface TestPatternOptions {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
}

/** Luma of a flash frame: video-range white. */
const FLASH_LUMA = 235;

/**
 * Renders the synthetic video as I420 frames: diagonal stripes scrolling every frame (so no two frames are
 * equal and freeze detection has something to see), a bar sweeping across in two seconds, the frame number
 * in large digits, the machine-readable frame code across the top, and a white flash on the frames that
 * coincide with a beep (see `sync-schedule.ts`). The code strip and the digits are drawn on flash frames too,
 * so every frame stays countable.
 */
export class TestPattern {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  private readonly stripe: Uint8Array;
  private readonly period: number;
  private readonly chromaWidth: number;
  private readonly chromaHeight: number;

  constructor(options: TestPatternOptions) {
    const { width, height, fps } = options;
    if (width < 64 || height < 36 || width % 2 !== 0 || height % 2 !== 0) {
      throw new RangeError(`test pattern needs an even size of at least 64x36, got ${width}x${height}`);
    }
    if (!Number.isInteger(fps) || fps < 1 || fps > 120) {
      throw new RangeError(`test pattern needs an integer fps in 1..120, got ${fps}`);
    }
    this.width = width;
    this.height = height;
    this.fps = fps;
    this.chromaWidth = width / 2;
    this.chromaHeight = height / 2;
    // One stripe row, long enough that any window of `width` pixels starting in the first period exists.
    this.period = Math.max(16, Math.round(width / 8));
    this.stripe = new Uint8Array(width + this.period);
    for (let x = 0; x < this.stripe.length; x++) {
      this.stripe[x] = 32 + Math.round(32 * (1 + Math.sin((2 * Math.PI * x) / this.period)));
    }
  }

  /** Bytes in one I420 frame. */
  get frameBytes(): number {
    return this.width * this.height + 2 * this.chromaWidth * this.chromaHeight;
  }

  /** Whether frame `frame` is a flash frame. */
  isFlash(frame: number): boolean {
    return isFlashFrame(frame, this.fps);
  }

  /**
   * Renders frame `frame` into a fresh buffer. A fresh buffer each time, because rtc-node passes the
   * buffer's address to native code and a reused buffer could be overwritten while it is read.
   */
  render(frame: number): Uint8Array {
    const { width, height } = this;
    const out = new Uint8Array(this.frameBytes);
    const luma = out.subarray(0, width * height);
    if (this.isFlash(frame)) {
      luma.fill(FLASH_LUMA);
    } else {
      const shift = (frame * 4) % this.period;
      for (let row = 0; row < height; row++) {
        const offset = (shift + row) % this.period;
        luma.set(this.stripe.subarray(offset, offset + width), row * width);
      }
      const barWidth = Math.max(4, Math.round(width / 16));
      const travel = width + barWidth;
      const barX = Math.round(((frame % (2 * this.fps)) / (2 * this.fps)) * travel) - barWidth;
      fillRect(luma, width, height, barX, 0, barWidth, height, 180);
    }
    out.fill(128, width * height);
    this.tintBar(out, frame);
    drawFrameCode(luma, width, height, frame);
    const scale = Math.max(2, Math.floor(height / 48));
    const text = String(frame % 1_000_000).padStart(6, '0');
    drawDigits(luma, width, height, text, { x: scale * 2, y: codeStripHeight(height) + scale * 2, scale });
    return out;
  }

  /** Colours the sweeping bar (chroma only), so a pipeline that drops or swaps chroma is visible. */
  private tintBar(out: Uint8Array, frame: number): void {
    if (this.isFlash(frame)) return;
    const cw = this.chromaWidth;
    const ch = this.chromaHeight;
    const barWidth = Math.max(2, Math.round(cw / 16));
    const barX = Math.round(((frame % (2 * this.fps)) / (2 * this.fps)) * (cw + barWidth)) - barWidth;
    const u = out.subarray(this.width * this.height, this.width * this.height + cw * ch);
    const v = out.subarray(this.width * this.height + cw * ch);
    fillRect(u, cw, ch, barX, 0, barWidth, ch, 90);
    fillRect(v, cw, ch, barX, 0, barWidth, ch, 200);
  }
}
