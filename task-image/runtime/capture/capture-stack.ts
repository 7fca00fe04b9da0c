import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '#shared/logger.ts';
import { ManagedProcess } from '#shared/managed-process.ts';
import { CaptureError } from './capture-error.ts';
import { startChromium } from './chromium.ts';
import { runTool, waitUntil } from './run-tool.ts';

/** Name of the PulseAudio null sink Chromium plays into; ffmpeg records `<sink>.monitor`. */
export const CAPTURE_SINK = 'capture';

/** A running display + audio server + browser showing one page. */
export interface CaptureStack {
  /** The X display, e.g. `:0`. */
  readonly display: string;
  /** Environment for clients of the stack (ffmpeg, pactl): DISPLAY, PULSE_SERVER, HOME. */
  readonly env: NodeJS.ProcessEnv;
  /** DevTools endpoint of the browser, when started with `devtools`. */
  readonly devtoolsUrl: string | undefined;
  /** The browser process: its exit while recording is a failure of the egress. */
  readonly browser: ManagedProcess;
  /** Stops the browser, the audio server and the display, in that order. Idempotent. */
  stop(): Promise<void>;
}

export interface CaptureStackOptions {
  /** Scratch folder: sockets, the browser profile, HOME. */
  readonly workDir: string;
  readonly width: number;
  readonly height: number;
  /** Colour depth of the screen. @default 24 */
  readonly depth?: number;
  /** The page the browser opens first. */
  readonly pageUrl: string;
  readonly chromium: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Open a DevTools endpoint for puppeteer-core. @default false */
  readonly devtools?: boolean;
  /** Wait until the page plays sound into the sink (the self-check's proof of a working page). @default !devtools */
  readonly waitForAudio?: boolean;
  /** Extra Chromium flags. */
  readonly chromiumFlags?: readonly string[];
}

const startTimeoutMs = 30_000;

/**
 * Starts Xvfb, PulseAudio with a null sink, and Chromium (headful, kiosk) on `pageUrl`. If any step fails,
 * whatever was started is stopped before the error is thrown. Every process is a child of this one, in its
 * process group, so nothing outlives the task.
 */
export async function startCaptureStack(options: CaptureStackOptions): Promise<CaptureStack> {
  const started: { browser?: ManagedProcess; pulse?: ManagedProcess; display?: ManagedProcess } = {};
  const starting: Promise<unknown>[] = [];
  let stopping: Promise<void> | undefined;
  // The browser goes before the servers it is a client of; whatever is still starting is awaited first.
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.allSettled(starting);
      for (const proc of [started.browser, started.pulse, started.display]) await proc?.stop('SIGTERM', 5_000);
    })());
  try {
    const home = join(options.workDir, 'home');
    const runtimeDir = join(options.workDir, 'xdg');
    await mkdir(home, { recursive: true });
    await mkdir(runtimeDir, { recursive: true, mode: 0o700 });
    const baseEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, XDG_RUNTIME_DIR: runtimeDir };

    // Xvfb and PulseAudio start side by side; Chromium needs only the display to start (it connects to
    // PulseAudio when the page first plays), so it starts while PulseAudio is still coming up.
    const pulseServer = `unix:${join(runtimeDir, 'pulse-native')}`;
    const pulseEnv = { ...baseEnv, PULSE_SERVER: pulseServer };
    const pulseStart = startPulse(options, baseEnv, pulseEnv).then((proc) => (started.pulse = proc));
    starting.push(pulseStart);
    const xvfb = await startXvfb(options, baseEnv);
    started.display = xvfb.proc;
    const env = { ...pulseEnv, DISPLAY: xvfb.display };
    const devtools = options.devtools ?? false;
    const chromiumStart = startChromium({
      chromium: options.chromium,
      width: options.width,
      height: options.height,
      profileDir: join(options.workDir, 'chromium-profile'),
      env,
      logger: options.logger,
      url: options.pageUrl,
      devtools,
      extraFlags: options.chromiumFlags ?? [],
      timeoutMs: startTimeoutMs,
    });
    starting.push(chromiumStart.then((c) => (started.browser = c.proc)));
    const [, chromium] = await Promise.all([pulseStart, chromiumStart]);
    if (options.waitForAudio ?? !devtools) {
      // The page's tone reaching the sink proves the page loaded, its script runs and the audio route works.
      await waitUntil(async () => (await sinkInputs(env, options)).length > 0, {
        what: "Chromium's audio stream in PulseAudio",
        timeoutMs: startTimeoutMs,
        process: { name: 'chromium', proc: chromium.proc },
        signal: options.signal,
        intervalMs: 200,
      });
    }
    return { display: xvfb.display, env, devtoolsUrl: chromium.devtoolsUrl, browser: chromium.proc, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Xvfb on the first free display: `-displayfd` makes it print the display number once it accepts clients.
 * No GLX: nothing here renders with OpenGL (Chromium draws in software), and the image has no DRI drivers.
 */
async function startXvfb(
  options: CaptureStackOptions,
  env: NodeJS.ProcessEnv,
): Promise<{ display: string; proc: ManagedProcess }> {
  const screen = `${options.width}x${options.height}x${options.depth ?? 24}`;
  const proc = new ManagedProcess(
    'Xvfb',
    ['-displayfd', '1', '-screen', '0', screen, '-nolisten', 'tcp', '-extension', 'GLX'],
    { name: 'Xvfb', logger: options.logger, env, rawStdout: true },
  );
  let printed = '';
  proc.child.stdout?.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  try {
    await waitUntil(() => Promise.resolve(/^\d+\n/.test(printed)), {
      what: 'the X display',
      timeoutMs: startTimeoutMs,
      process: { name: 'Xvfb', proc },
      signal: options.signal,
      intervalMs: 50,
    });
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { display: `:${printed.trim()}`, proc };
}

/** PulseAudio as a child (not a daemon), with only a native socket and the null sink Chromium plays into. */
async function startPulse(
  options: CaptureStackOptions,
  env: NodeJS.ProcessEnv,
  clientEnv: NodeJS.ProcessEnv,
): Promise<ManagedProcess> {
  const socket = (clientEnv['PULSE_SERVER'] ?? '').replace(/^unix:/, '');
  const proc = new ManagedProcess(
    'pulseaudio',
    [
      '-n',
      '--daemonize=no',
      '--exit-idle-time=-1',
      '--use-pid-file=no',
      '--realtime=no',
      '--high-priority=no',
      '--log-target=stderr',
      `--load=module-native-protocol-unix auth-anonymous=1 socket=${socket}`,
      `--load=module-null-sink sink_name=${CAPTURE_SINK} rate=48000 channels=2 sink_properties=device.description=${CAPTURE_SINK}`,
    ],
    { name: 'pulseaudio', logger: options.logger, env },
  );
  try {
    await waitUntil(
      async () =>
        (await runTool('pactl', ['info'], { ...pactlOptions(clientEnv, options), allowFailure: true })).exit.code === 0,
      {
        what: 'the PulseAudio server',
        timeoutMs: startTimeoutMs,
        process: { name: 'pulseaudio', proc },
        signal: options.signal,
      },
    );
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return proc;
}

function pactlOptions(env: NodeJS.ProcessEnv, options: CaptureStackOptions) {
  return { logger: options.logger, env, timeoutMs: 5_000, signal: options.signal };
}

/** Playback streams connected to PulseAudio (one line each). */
async function sinkInputs(env: NodeJS.ProcessEnv, options: CaptureStackOptions): Promise<string[]> {
  const { stdout } = await runTool('pactl', ['list', 'short', 'sink-inputs'], pactlOptions(env, options));
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  if (lines.some((line) => !/^\d+\t/.test(line))) {
    throw new CaptureError(`unexpected pactl output: ${stdout.slice(0, 200)}`, 'pactl');
  }
  return lines;
}
