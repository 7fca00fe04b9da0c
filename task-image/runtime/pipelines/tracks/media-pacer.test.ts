import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '#shared/logger.ts';
import { MediaPacer } from './media-pacer.ts';

class Collect extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk);
    done();
  }
  get bytes(): number {
    return this.chunks.reduce((n, c) => n + c.length, 0);
  }
}

const logger = createLogger({ component: 'test', level: 'error' });
const black = Buffer.from('black');

function setup() {
  let clock = 1000;
  const video = new Collect();
  const audio = new Collect();
  const pacer = new MediaPacer({ fps: 30, black, logger, now: () => clock });
  return { pacer, video, audio, advance: (ms: number) => (clock += ms) };
}

/** 10 ms of interleaved stereo at 48 kHz, every sample `value`. */
const frame10ms = (value: number): Int16Array => new Int16Array(960).fill(value);

describe('MediaPacer', () => {
  afterEach(() => vi.useRealTimers());

  it('writes a constant frame rate of the latest picture, black before the first one', () => {
    vi.useFakeTimers();
    const { pacer, video, audio, advance } = setup();
    pacer.start({ video, audio });
    expect(video.chunks).toEqual([black]);
    const picture = Buffer.from('p1');
    pacer.pushVideo(picture);
    advance(100);
    vi.advanceTimersByTime(10);
    expect(video.chunks.length).toBe(4);
    expect(video.chunks.slice(1)).toEqual([picture, picture, picture]);
    pacer.videoAbsent();
    advance(34);
    vi.advanceTimersByTime(10);
    expect(video.chunks.at(-1)).toBe(black);
    pacer.stop();
  });

  it('primes the encoder with black and silence, more while it is slow, and counts it when the clock starts', () => {
    vi.useFakeTimers();
    const { pacer, video, audio, advance } = setup();
    pacer.prime({ video, audio });
    expect(pacer.written).toEqual({ frames: 4, samples: 4800 });
    advance(500);
    pacer.primeMore();
    expect(pacer.written).toEqual({ frames: 7, samples: 9600 });
    advance(300);
    vi.advanceTimersByTime(10);
    // Nothing runs before the clock starts: the encoder's slowness is not recorded as time.
    expect(pacer.written).toEqual({ frames: 7, samples: 9600 });
    pacer.start();
    advance(100);
    vi.advanceTimersByTime(10);
    expect(pacer.written).toEqual({ frames: 10, samples: 14_400 });
    pacer.stop();
  });

  it('holds pictures back by the video delay', () => {
    vi.useFakeTimers();
    let clock = 0;
    const video = new Collect();
    const pacer = new MediaPacer({ fps: 30, black, logger, now: () => clock, videoDelayMs: 40 });
    pacer.start({ video });
    const picture = Buffer.from('p1');
    pacer.pushVideo(picture);
    clock = 34;
    vi.advanceTimersByTime(10);
    expect(video.chunks).toEqual([black, black]);
    clock = 67;
    vi.advanceTimersByTime(10);
    expect(video.chunks).toEqual([black, black, picture]);
    pacer.stop();
  });

  it('holds both kinds, so a picture decoded late still lands at its render time; the first shows at once', () => {
    vi.useFakeTimers();
    let clock = 0;
    const video = new Collect();
    const audio = new Collect();
    const pacer = new MediaPacer({ fps: 30, black, logger, now: () => clock, holdMs: 100 });
    const first = Buffer.from('p1');
    const late = Buffer.from('p2');
    pacer.pushVideo(first, 0);
    pacer.start({ video, audio });
    expect(video.chunks).toEqual([first]);
    pacer.pushAudio(frame10ms(5));
    // The picture due at 40 ms comes out of the decoder at 90 ms: it is due at 140 ms, 100 ms after its
    // time, like the sound that arrived at 0 and is written from 100 ms on.
    clock = 90;
    pacer.pushVideo(late, 40);
    vi.advanceTimersByTime(10);
    expect(video.chunks.includes(late)).toBe(false);
    const samples = (): Int16Array => {
      const all = Buffer.concat(audio.chunks);
      return new Int16Array(all.buffer, all.byteOffset, all.length / 2);
    };
    expect(samples().every((s) => s === 0)).toBe(true);
    clock = 110;
    vi.advanceTimersByTime(10);
    expect(samples().includes(5)).toBe(true);
    clock = 139;
    vi.advanceTimersByTime(10);
    expect(video.chunks.includes(late)).toBe(false);
    // The next frame time (167 ms) shows it.
    clock = 170;
    vi.advanceTimersByTime(10);
    expect(video.chunks.at(-1)).toBe(late);
    pacer.stop();
  });

  it('passes audio through on the clock and fills silence only where the track stops delivering', () => {
    vi.useFakeTimers();
    const { pacer, video, audio, advance } = setup();
    pacer.start({ video, audio });
    for (let i = 0; i < 10; i += 1) {
      pacer.pushAudio(frame10ms(7));
      advance(10);
      vi.advanceTimersByTime(10);
    }
    // 100 ms passed: 4800 samples, all of them the track's (a short wait for the next frame is not a gap).
    const decoded = Buffer.concat(audio.chunks);
    expect(decoded.length / 4).toBeLessThanOrEqual(4800);
    expect(decoded.length / 4).toBeGreaterThanOrEqual(4320);
    expect(new Int16Array(decoded.buffer, decoded.byteOffset, decoded.length / 2).every((s) => s === 7)).toBe(true);
    // Nothing arrives for 300 ms: silence keeps the timeline at the wall clock.
    advance(300);
    vi.advanceTimersByTime(10);
    expect(pacer.written.samples).toBe(19_200);
    pacer.stop();
  });

  it('writes silence at once for an absent track, and drops audio queued more than 200 ms ahead', () => {
    vi.useFakeTimers();
    const { pacer, audio, advance } = setup();
    pacer.start({ audio });
    advance(50);
    vi.advanceTimersByTime(10);
    expect(pacer.written.samples).toBe(2400);
    // A burst of 500 ms arrives at once: what is due now (10 ms) plus 200 ms may stay, the oldest 290 ms go.
    for (let i = 0; i < 50; i += 1) pacer.pushAudio(frame10ms(i));
    advance(10);
    vi.advanceTimersByTime(10);
    expect(pacer.written.samples).toBe(2880);
    const last = audio.chunks.at(-1);
    expect(last === undefined ? undefined : last.readInt16LE(0)).toBe(29);
    pacer.stop();
    expect(audio.bytes / 4).toBe(2880);
  });
});
