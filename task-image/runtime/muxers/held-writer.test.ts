import { describe, expect, it } from 'vitest';
import type { ContainerWriter, MediaFrame } from './container.ts';
import { HeldWriter } from './held-writer.ts';

/** A writer that keeps what it was given. */
function recording(
  kind: ContainerWriter['kind'] = 'ogg',
): ContainerWriter & { readonly written: MediaFrame[]; finished: boolean; endTime?: number } {
  const written: MediaFrame[] = [];
  return {
    kind,
    written,
    finished: false,
    write(frame) {
      written.push(frame);
    },
    finish(endTime?: number) {
      this.finished = true;
      this.endTime = endTime;
    },
    get frames() {
      return written.length;
    },
    durationMs: 0,
    gaps: 0,
    headerPatch: undefined,
  };
}

/** 20 ms Opus frames on the 48 kHz clock, one every 20 ms of the fake clock. */
const frame = (n: number): MediaFrame => ({ time: n * 960, data: new Uint8Array([n]), keyFrame: true });

describe('HeldWriter', () => {
  it('writes each frame once it has waited the hold, and everything on finish', () => {
    let now = 1_000_000;
    const inner = recording();
    const firsts: number[] = [];
    const held = new HeldWriter(inner, {
      holdMs: 500,
      clockRate: 48_000,
      now: () => now,
      onFirstFrame: () => firsts.push(now),
    });
    for (let n = 0; n < 50; n += 1) {
      held.write(frame(n));
      now += 20;
    }
    // Frames 0..24 arrived at least 500 ms before the last write (at +980 ms).
    expect(inner.written.map((f) => f.data[0])).toEqual([...Array(25).keys()]);
    expect(firsts).toEqual([1_000_000]);
    held.finish();
    expect(inner.written).toHaveLength(50);
    expect(inner.finished).toBe(true);
  });

  it('cuts at the stop time on the file timeline: frames from there on are dropped, held or late', () => {
    let now = 1_000_000;
    const inner = recording();
    const held = new HeldWriter(inner, { holdMs: 500, clockRate: 48_000, now: () => now });
    for (let n = 0; n < 50; n += 1) {
      held.write(frame(n));
      now += 20;
    }
    // Asked to stop 700 ms after the first frame; the task learnt of it at +1000 ms.
    held.cut(1_000_700);
    held.write(frame(50));
    held.finish();
    expect(inner.written.map((f) => f.data[0])).toEqual([...Array(35).keys()]);
    expect(held.droppedPastCut).toBe(16);
  });

  it('keeps a frame only if it ends by the cut; a pause is not taken for a frame length', () => {
    let now = 1_000_000;
    const inner = recording();
    const held = new HeldWriter(inner, { holdMs: 5_000, clockRate: 48_000, now: () => now });
    held.write(frame(0));
    now += 20;
    held.write(frame(1));
    // A 3 s pause (muted), then one more frame at 3.04 s.
    now += 3_020;
    held.write(frame(152));
    held.cut(1_000_000 + 3_070);
    held.write(frame(153));
    held.finish();
    // Frame 152 (3.04 s) lasts 20 ms, the last interval under a second, so it ends by the cut at 3.07 s;
    // 153 would end at 3.08 s. (Taken for a frame length, the pause would have dropped 152 too.)
    expect(inner.written.map((f) => f.data[0])).toEqual([0, 1, 152]);
  });

  it('keeps a video frame that starts before the cut, and has the writer end the file at the cut', () => {
    let now = 1_000_000;
    const inner = recording('webm');
    const held = new HeldWriter(inner, { holdMs: 2_000, clockRate: 90_000, now: () => now });
    // 30 fps: frame n at n × 33.3 ms; the stop is asked for 710 ms after the first frame.
    for (let n = 0; n < 40; n += 1) {
      held.write({ time: n * 3_000, data: new Uint8Array([n]), keyFrame: n === 0 });
      now += 1000 / 30;
    }
    held.cut(1_000_710);
    held.finish();
    // Frame 21 starts at 700 ms, before the cut, and is shown until it: the file is 710 ms long.
    expect(inner.written.map((f) => f.data[0])).toEqual([...Array(22).keys()]);
    expect(inner.endTime).toBe(710 * 90);
  });

  it('keeps what was already written when the stop arrives later than the hold', () => {
    let now = 1_000_000;
    const inner = recording();
    const held = new HeldWriter(inner, { holdMs: 100, clockRate: 48_000, now: () => now });
    for (let n = 0; n < 50; n += 1) {
      held.write(frame(n));
      now += 20;
    }
    held.cut(1_000_100);
    held.finish();
    // 0..44 were written before the cut was known; the held ones past it are dropped.
    expect(inner.written).toHaveLength(45);
  });

  it('a cut before any frame keeps the writer empty and still finishes it', () => {
    const inner = recording();
    const held = new HeldWriter(inner, { holdMs: 500, clockRate: 48_000 });
    held.cut(Date.now());
    held.finish();
    expect(inner.written).toEqual([]);
    expect(inner.finished).toBe(true);
  });
});
