import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '#shared/logger.ts';
import { startCaptureStack, type CaptureStack } from '../capture/capture-stack.ts';
import { recordScreen } from './record.ts';
import type { SelfCheckConfig } from './self-check-config.ts';
import { testPageHtml } from './test-page.ts';
import { verifyRecording, type RecordingReport } from './verify-recording.ts';

/** The outcome of a passed self-check: the recording's figures and how long each phase took. */
export interface SelfCheckReport extends RecordingReport {
  readonly file: string | undefined;
  readonly startMs: number;
  readonly recordMs: number;
  readonly totalMs: number;
}

/** Seconds a recording may fall short of the requested length (ffmpeg's start-up and rounding). */
const durationToleranceS = 1.5;

/**
 * Proves the recorder image can do what room composite egress needs: Xvfb + PulseAudio + Chromium showing
 * an animated, sounding page, captured by ffmpeg into a valid H.264/AAC MP4. Every process started is
 * stopped and the scratch folder removed on every path, pass, fail or abort.
 */
export async function runSelfCheck(
  config: SelfCheckConfig,
  logger: Logger,
  signal: AbortSignal,
): Promise<SelfCheckReport> {
  const began = performance.now();
  const workDir = await mkdtemp(join(tmpdir(), 'ue-self-check-'));
  let stack: CaptureStack | undefined;
  try {
    const page = join(workDir, 'page.html');
    await writeFile(page, testPageHtml);
    const { width, height, seconds } = config;
    stack = await startCaptureStack({
      workDir,
      width,
      height,
      pageUrl: pathToFileURL(page).href,
      chromium: config.chromium,
      logger,
      signal,
    });
    const started = performance.now();
    logger.info('capture stack ready', { display: stack.display, startMs: Math.round(started - began) });
    const file = config.output ?? join(workDir, 'self-check.mp4');
    await recordScreen({ stack, width, height, seconds, file, logger, signal });
    const recorded = performance.now();
    // The browser and servers are done: stop them before the checks so they do not compete for the CPU.
    await stack.stop();
    const report = await verifyRecording(file, seconds - durationToleranceS, { logger, signal });
    return {
      ...report,
      file: config.output,
      startMs: Math.round(started - began),
      recordMs: Math.round(recorded - started),
      totalMs: Math.round(performance.now() - began),
    };
  } finally {
    await stack?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}
