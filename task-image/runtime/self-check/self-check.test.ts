import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '#shared/logger.ts';
import { SelfCheckError } from './errors.ts';
import { runSelfCheck } from './self-check.ts';
import { readSelfCheckConfig, type SelfCheckConfig } from './self-check-config.ts';

const logger = createLogger({ component: 'self-check-test' });
const config: SelfCheckConfig = { seconds: 3, output: undefined, width: 640, height: 360, chromium: 'chromium' };

/**
 * Live processes whose command line or environment mentions `text`: every process the self-check starts
 * gets its scratch folder in one or the other (HOME, XDG_RUNTIME_DIR, sockets, the browser profile).
 */
async function processesMentioning(text: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const read = (file: string): Promise<string> => readFile(`/proc/${pid}/${file}`, 'utf8').catch(() => '');
    // Zombies (state Z) have exited; they only wait for whoever adopted them to reap them.
    if (/^\d+ \(.*\) Z/.test(await read('stat'))) continue;
    const cmdline = (await read('cmdline')).replaceAll('\0', ' ');
    if (cmdline.includes(text) || (await read('environ')).includes(text)) found.push(`${pid} ${cmdline}`);
  }
  return found;
}

describe('recorder self-check on this machine (Xvfb, PulseAudio, Chromium, ffmpeg)', () => {
  let scratch: string;
  let savedTmp: string | undefined;

  // Every process the self-check starts gets paths under its scratch folder, which lives in TMPDIR: a test
  // can then find leftovers by that prefix.
  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'ue-self-check-test-'));
    savedTmp = process.env['TMPDIR'];
    process.env['TMPDIR'] = scratch;
  });

  afterEach(async () => {
    if (savedTmp === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = savedTmp;
    await rm(scratch, { recursive: true, force: true });
  });

  it('records an animated, sounding page into a valid H.264/AAC MP4 and cleans up', async () => {
    const report = await runSelfCheck(config, logger, new AbortController().signal);
    expect(report.video).toMatchObject({ codec: 'h264', width: 640, height: 360 });
    expect(report.audio).toMatchObject({ codec: 'aac', sampleRate: 48_000, channels: 2 });
    expect(report.durationS).toBeGreaterThanOrEqual(2.5);
    expect(report.maxVolumeDb).toBeGreaterThan(-30);
    expect(report.freezes).toBe(0);
    expect(await processesMentioning(scratch)).toEqual([]);
    expect(await readdir(scratch)).toEqual([]);
  }, 60_000);

  it('fails naming chromium when the browser cannot start, and stops Xvfb and PulseAudio', async () => {
    const broken = { ...config, chromium: join(scratch, 'no-such-chromium') };
    const failure = await runSelfCheck(broken, logger, new AbortController().signal).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(SelfCheckError);
    expect((failure as SelfCheckError).process).toBe('chromium');
    expect(await processesMentioning(scratch)).toEqual([]);
    expect(await readdir(scratch)).toEqual([]);
  }, 60_000);

  it('fails when aborted while recording, and stops every process it started', async () => {
    const abort = new AbortController();
    const running = runSelfCheck({ ...config, seconds: 20 }, logger, abort.signal).catch((err: unknown) => err);
    // Chromium is up within a few seconds; the recording then runs for 20 s unless aborted.
    setTimeout(() => abort.abort(), 5_000);
    const failure = await running;
    expect(failure).toBeInstanceOf(SelfCheckError);
    expect(await processesMentioning(scratch)).toEqual([]);
    expect(await readdir(scratch)).toEqual([]);
  }, 60_000);
});

describe('readSelfCheckConfig', () => {
  it('reads the defaults', () => {
    expect(readSelfCheckConfig({})).toEqual({
      seconds: 4,
      output: undefined,
      width: 1280,
      height: 720,
      chromium: 'chromium',
    });
  });

  it('rejects a size x264 cannot encode, naming the variable', () => {
    expect(() => readSelfCheckConfig({ SELF_CHECK_SIZE: '1279x720' })).toThrow(/SELF_CHECK_SIZE=1279x720/);
    expect(() => readSelfCheckConfig({ SELF_CHECK_SECONDS: '1' })).toThrow(/SELF_CHECK_SECONDS=1/);
  });
});
