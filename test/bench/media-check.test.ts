import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaCheckError } from './bench-errors.ts';
import {
  avSync,
  beepTimes,
  cadence,
  decodeErrors,
  flashTimes,
  frameNumbers,
  freezes,
  probe,
  volume,
} from './media-check.ts';
import { SAMPLE_RATE } from './sync-schedule.ts';
import { encodeSyntheticClip } from './synthetic-clip.ts';
import { renderTone } from './tone.ts';
import { runTool } from './tool-run.ts';

const codecs = ['vp8', 'h264', 'vp9'] as const;
let dir = '';
const clip = (name: string): string => join(dir, name);
const fileOf = (codec: (typeof codecs)[number]): string => clip(codec === 'h264' ? 'h264.mp4' : `${codec}.webm`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ue-media-check-'));
  await Promise.all(codecs.map((codec) => encodeSyntheticClip({ file: fileOf(codec), codec, seconds: 4 })));
  await encodeSyntheticClip({ file: clip('delayed.mp4'), codec: 'h264', seconds: 4, audioDelayMs: 120 });
  await encodeSyntheticClip({ file: clip('frozen.mp4'), codec: 'h264', seconds: 4, freeze: { from: 40, to: 85 } });
  await encodeSyntheticClip({ file: clip('silent.mp4'), codec: 'h264', seconds: 2, audio: 'silent' });
  await encodeSyntheticClip({ file: clip('video-only.webm'), codec: 'vp8', seconds: 2, audio: 'none' });
  // The clip as one tile of a 2x2 composite: bottom-right quarter of a 640x360 canvas.
  await runTool('ffmpeg', ['-v', 'error', '-i', fileOf('h264'), '-vf', 'pad=640:360:320:180', clip('tile.mp4')]);
  // Corrupt: every 97th byte of the middle third replaced by deterministic junk.
  const bytes = Buffer.from(await readFile(fileOf('h264')));
  let state = 1;
  for (let i = Math.floor(bytes.length / 3); i < Math.floor((2 * bytes.length) / 3); i += 97) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    bytes[i] = state % 256;
  }
  await writeFile(clip('corrupt.mp4'), bytes);
}, 120_000);

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe.each(codecs)('a %s clip encoded locally', (codec) => {
  it('probes codec, size, rate, frames and audio', async () => {
    const info = await probe(fileOf(codec));
    expect(info.video).toMatchObject({ codec, width: 320, height: 180, avgFps: 30, framesCounted: 120 });
    expect(info.audio).toMatchObject({ codec: codec === 'h264' ? 'aac' : 'opus', sampleRate: 48_000, channels: 2 });
    expect(info.durationS).toBeCloseTo(4, 1);
  });

  it('decodes every frame number with no gap and no repeat', async () => {
    const report = await frameNumbers(fileOf(codec));
    expect(report.numbers).toEqual(Array.from({ length: 120 }, (_, n) => n));
    expect(report).toMatchObject({ undecodable: 0, repeats: 0, missing: 0, jumps: [] });
  });

  it('lines up beeps and flashes one second apart, A/V offset about zero', async () => {
    const [beeps, flashes, sync] = await Promise.all([
      beepTimes(fileOf(codec)),
      flashTimes(fileOf(codec)),
      avSync(fileOf(codec)),
    ]);
    expect(beeps).toHaveLength(3);
    expect(flashes).toHaveLength(3);
    for (const times of [beeps, flashes]) {
      times.slice(1).forEach((t, i) => expect(t - (times[i] ?? 0)).toBeCloseTo(1, 2));
    }
    // WebM/Opus muxed by ffmpeg 5.1 puts the audio 7 ms early (its pre-skip handling); MP4/AAC is exact.
    expect(sync.pairs).toHaveLength(3);
    expect(Math.abs(sync.p50Ms)).toBeLessThan(codec === 'h264' ? 1 : 10);
    expect(sync.p95AbsMs).toBeLessThan(10);
  });

  it('finds no cadence drift', async () => {
    const report = await cadence(fileOf(codec), { fps: 30 });
    expect(report.frames).toBe(120);
    expect(report.measuredFps).toBeCloseTo(30, 1);
    expect(report.p95DriftMs).toBeLessThan(2);
  });

  it('finds no freeze and no decode error', async () => {
    expect(await freezes(fileOf(codec))).toEqual([]);
    expect(await decodeErrors(fileOf(codec))).toEqual([]);
  });
});

describe('the checks flag broken media', () => {
  it('measures a planted 120 ms audio delay', async () => {
    const sync = await avSync(clip('delayed.mp4'));
    expect(sync.pairs.length).toBeGreaterThanOrEqual(2);
    expect(sync.p50Ms).toBeGreaterThan(115);
    expect(sync.p50Ms).toBeLessThan(125);
  });

  it('flags a frozen stretch as a freeze and as repeated frame numbers', async () => {
    const found = await freezes(clip('frozen.mp4'));
    expect(found).toHaveLength(1);
    expect(found[0]?.start).toBeCloseTo(40 / 30, 1);
    expect(found[0]?.end).toBeCloseTo(85 / 30, 1);
    const report = await frameNumbers(clip('frozen.mp4'));
    expect(report.repeats).toBe(44);
    expect(report.jumps).toEqual([{ pts: expect.closeTo(85 / 30, 2) as number, from: 40, to: 85 }]);
  });

  it('flags silent audio as silent and finds no beep in it', async () => {
    expect(await volume(clip('silent.mp4'))).toMatchObject({ silent: true });
    expect(await beepTimes(clip('silent.mp4'))).toEqual([]);
    const loud = await volume(fileOf('h264'));
    expect(loud.silent).toBe(false);
    expect(loud.maxDb).toBeGreaterThan(-10);
  });

  it('flags a corrupt file with decode errors', async () => {
    const errors = await decodeErrors(clip('corrupt.mp4'));
    expect(errors.length).toBeGreaterThan(0);
  });

  it('rejects a file that is not media, naming the tool', async () => {
    await writeFile(clip('garbage.mp4'), Buffer.alloc(4096, 7));
    await expect(probe(clip('garbage.mp4'))).rejects.toMatchObject({ name: 'MediaCheckError', tool: 'ffprobe' });
    expect((await decodeErrors(clip('garbage.mp4'))).join('\n')).toMatch(/Invalid data/);
  });

  it('rejects a volume check on a file without audio', async () => {
    await expect(volume(clip('video-only.webm'))).rejects.toBeInstanceOf(MediaCheckError);
    expect(await flashTimes(clip('video-only.webm'))).toHaveLength(1);
  });
});

describe('inputs other than whole files', () => {
  it('reads beeps and level from raw s16le 48 kHz stereo PCM, as a buffer or a file', async () => {
    const stereo = renderTone(SAMPLE_RATE / 2, 2 * SAMPLE_RATE, { channels: 2 });
    const pcm = Buffer.from(stereo.buffer);
    const beeps = await beepTimes({ pcm });
    expect(beeps).toEqual([expect.closeTo(0.5, 3), expect.closeTo(1.5, 3)]);
    await writeFile(clip('tone.pcm'), pcm);
    expect(await volume({ pcm: clip('tone.pcm') })).toMatchObject({ silent: false });
    expect(await volume({ pcm: Buffer.alloc(SAMPLE_RATE * 4) })).toMatchObject({ silent: true });
  });

  it('reads the frame numbers of one tile of a composite through a region', async () => {
    const tile = await frameNumbers(clip('tile.mp4'), { region: { x: 0.5, y: 0.5, width: 0.5, height: 0.5 } });
    expect(tile.numbers).toEqual(Array.from({ length: 120 }, (_, n) => n));
    const whole = await frameNumbers(clip('tile.mp4'));
    expect(whole.numbers).toEqual([]);
  });
});
