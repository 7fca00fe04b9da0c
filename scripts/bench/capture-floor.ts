import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import type { EncodingPlan } from '#domain/request/encoding.ts';
import { distinctFramesPerSecond } from '#bench/distinct-frames.ts';
import { mediaDuration } from '#bench/media-check.ts';
import { encodeSyntheticClip } from '#bench/synthetic-clip.ts';
import type { Logger } from '#shared/logger.ts';
import { ManagedProcess } from '#shared/managed-process.ts';
import { CAPTURE_SINK, startCaptureStack, type CaptureStack } from '#task/capture/capture-stack.ts';
import { encoderArgs } from '#task/encoder/encoder-args.ts';
import { audioDelayMs, chromiumPath } from '#task/pipelines/encoded/recorder-settings.ts';
import {
  descendantsOf,
  measureGroup,
  processKind,
  type GroupCpu,
  type ProcSelector,
  type PssPeak,
} from './proc-stats.ts';

/** The local page of the floor and its clips: the publishers' test pattern, encoded to VP8 once. */
export interface FloorPage {
  readonly url: string;
  /** Bitrate of the silent clip (video only), kbps. */
  readonly clipKbps: number;
  /** Removes the clips and the page. Idempotent. */
  remove(): Promise<void>;
}

/** The capture floor at one encoding: what capturing and encoding local tiles costs, with no WebRTC. */
export interface FloorResult {
  readonly width: number;
  readonly height: number;
  /** Chromium tree + Xvfb + PulseAudio + the ffmpeg encoder, over the steady window (cores busy). */
  readonly cpu: GroupCpu;
  /** `cpu.cores` scaled by wall seconds per media-second (above `cpu.cores` when the encoder fell behind). */
  readonly cpuPerMediaSecond: number;
  readonly pss: PssPeak;
  /** Distinct frames per second of what the encoder wrote (is the floor itself painting every frame?). */
  readonly distinctFps: number;
  /** Duration of what the encoder wrote, and the wall time it ran (first bytes → stop). */
  readonly mediaSeconds: number;
  readonly wallSeconds: number;
}

const clipSeconds = 10;
const clipKbps = 1200;

// Shaped like the built-in grid template with two participants: two columns, 8 px gaps, contained video.
const pageHtml = `<!doctype html>
<html><head><meta charset="utf-8"><title>capture floor</title><style>
html,body{margin:0;width:100%;height:100%;overflow:hidden;background:#111;cursor:none}
#grid{position:fixed;inset:0;display:grid;gap:8px;padding:8px;
  grid-template-columns:repeat(2,minmax(0,1fr));grid-template-rows:minmax(0,1fr)}
.tile{min-width:0;min-height:0;overflow:hidden;background:#1e1e1e}
video{display:block;width:100%;height:100%;object-fit:contain}
</style></head><body><div id="grid">
<div class="tile"><video src="a.webm" autoplay loop playsinline></video></div>
<div class="tile"><video src="b.webm" autoplay loop muted playsinline></video></div>
</div></body></html>
`;

/**
 * Encodes two VP8 640x360 clips of the synthetic test pattern (one with the beeping tone, one silent) and
 * writes a page that loops them side by side, the first one audible so PulseAudio carries sound.
 */
export async function prepareFloorPage(): Promise<FloorPage> {
  const dir = await mkdtemp(join(tmpdir(), 'ue-floor-'));
  const remove = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const clip = { codec: 'vp8', seconds: clipSeconds, width: 640, height: 360, bitrateKbps: clipKbps } as const;
    await encodeSyntheticClip({ ...clip, file: join(dir, 'a.webm'), audio: 'tone' });
    await encodeSyntheticClip({ ...clip, file: join(dir, 'b.webm'), audio: 'none' });
    await writeFile(join(dir, 'index.html'), pageHtml);
    const silent = join(dir, 'b.webm');
    const kbps = ((await stat(silent)).size * 8) / (await mediaDuration(silent)) / 1000;
    return { url: pathToFileURL(join(dir, 'index.html')).href, clipKbps: kbps, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** Options of one floor measurement. */
export interface FloorOptions {
  readonly encoding: EncodingPlan;
  /** Seconds from the first encoded bytes to the end of the measurement. */
  readonly seconds: number;
  /** Seconds left out at the start of the CPU window. */
  readonly warmupSeconds: number;
  readonly logger: Logger;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs the composite's capture path on the local page: the same capture stack (Xvfb, PulseAudio with the
 * null sink, Chromium with the task's flags) and the same ffmpeg encoder arguments, its MPEG-TS written to
 * a file. Measures CPU over the steady window and peak PSS of exactly those processes; everything started
 * here is stopped on every path.
 */
export async function benchCaptureFloor(page: FloorPage, options: FloorOptions): Promise<FloorResult> {
  const { encoding, logger } = options;
  const workDir = await mkdtemp(join(tmpdir(), 'ue-floor-run-'));
  const abort = new AbortController();
  let stack: CaptureStack | undefined;
  let encoder: ManagedProcess | undefined;
  try {
    stack = await startCaptureStack({
      workDir,
      width: encoding.width,
      height: encoding.height,
      depth: encoding.depth,
      pageUrl: page.url,
      chromium: chromiumPath(),
      logger,
      signal: abort.signal,
    });
    const args = encoderArgs({
      encoding,
      audio: true,
      video: true,
      input: {
        kind: 'capture',
        display: stack.display,
        audioSource: `${CAPTURE_SINK}.monitor`,
        epochSec: Date.now() / 1000,
        audioDelayMs: audioDelayMs(),
      },
      pcm: false,
    });
    encoder = new ManagedProcess('ffmpeg', args, {
      name: 'ffmpeg encoder (floor)',
      logger,
      env: stack.env,
      rawStdout: true,
    });
    const file = join(workDir, 'floor.ts');
    const out = createWriteStream(file);
    encoder.child.stdout?.pipe(out);
    await firstBytes(out, encoder);
    const select = floorSelector(stack.browser.pid ?? -1, encoder.pid ?? -1);
    const window = { from: performance.now(), warmupMs: options.warmupSeconds * 1000, untilMs: options.seconds * 1000 };
    const { cpu, pss } = await measureGroup(select, window, () => Promise.resolve(undefined));
    await encoder.stop('SIGINT', 10_000);
    const wallSeconds = (performance.now() - window.from) / 1000;
    await finished(out);
    const mediaSeconds = await mediaDuration(file);
    const distinct = await distinctFramesPerSecond(file);
    return {
      width: encoding.width,
      height: encoding.height,
      cpu,
      cpuPerMediaSecond: (cpu.cores * wallSeconds) / mediaSeconds,
      pss,
      distinctFps: distinct.fps,
      mediaSeconds,
      wallSeconds,
    };
  } finally {
    abort.abort();
    await encoder?.stop('SIGKILL');
    await stack?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Waits (at most 20 s) until the encoder has written something, failing if it exits first. */
async function firstBytes(
  out: NodeJS.WritableStream & { bytesWritten: number },
  encoder: ManagedProcess,
): Promise<void> {
  for (let waited = 0; waited < 20_000; waited += 100) {
    if (out.bytesWritten > 0) return;
    if (encoder.exitStatus !== undefined) throw new Error('the floor encoder exited before writing anything');
    await sleep(100);
  }
  throw new Error('the floor encoder wrote nothing within 20 s');
}

/**
 * The floor's processes: this process's own Xvfb and PulseAudio (a task's are children of the task, not
 * of this process), the browser's whole tree and the encoder.
 */
function floorSelector(browserPid: number, encoderPid: number): ProcSelector {
  const servers = new Set(['Xvfb', 'pulseaudio']);
  return (all) => {
    const own = all.filter((e) => e.ppid === process.pid && servers.has(processKind(e.pid))).map((e) => e.pid);
    return descendantsOf([...own, browserPid, encoderPid], all);
  };
}
