import { join } from 'node:path';
import type { Logger } from '#shared/logger.ts';
import { ManagedProcess } from '#shared/managed-process.ts';
import { CaptureError } from './capture-error.ts';

/**
 * Chromium's flags for capture: ones a Fargate task can run with (no sandbox, no GPU, small /dev/shm), no
 * background work that competes with the page, no throttling of a window nobody looks at, and WebRTC over
 * loopback allowed (a LiveKit server on the same host, as in local mode and the tests).
 */
export const chromiumFlags: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  '--disable-component-update',
  '--disable-default-apps',
  '--disable-extensions',
  '--disable-breakpad',
  '--disable-crash-reporter',
  '--disable-hang-monitor',
  '--disable-ipc-flooding-protection',
  '--disable-popup-blocking',
  '--disable-prompt-on-repost',
  '--disable-sync',
  '--disable-client-side-phishing-detection',
  '--disable-domain-reliability',
  '--disable-field-trial-config',
  '--no-pings',
  '--disable-quic',
  // One --disable-features only: Chromium keeps the last one it is given. Without mDNS hiding, the
  // browser offers its loopback candidate, which a LiveKit server on the same host needs.
  '--disable-features=Translate,TranslateUI,MediaRouter,OptimizationHints,AudioServiceOutOfProcess,WebRtcHideLocalIpsWithMdns,OptimizationGuideModelDownloading,AutofillServerCommunication,CertificateTransparencyComponentUpdater',
  '--force-color-profile=srgb',
  '--metrics-recording-only',
  '--password-store=basic',
  '--use-mock-keychain',
  '--no-first-run',
  '--no-default-browser-check',
  '--autoplay-policy=no-user-gesture-required',
  // Audio output in 43 ms buffers (default 10 ms). With 10 ms, a run's audio got later in steps on the loaded
  // 2-core machine (+10, +12, +27 ms, each for the rest of the run; likely PulseAudio underruns after a late
  // audio callback); with 2048 frames the audio offset holds to a few ms over 30 s (6 grid runs).
  '--audio-buffer-size=2048',
  '--allow-loopback-in-peer-connection',
  '--kiosk',
  '--window-position=0,0',
];

export interface ChromiumOptions {
  readonly chromium: string;
  readonly width: number;
  readonly height: number;
  readonly profileDir: string;
  /** Environment with DISPLAY and PULSE_SERVER of the capture stack. */
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  /** Page to open; `about:blank` when the page is driven over DevTools. */
  readonly url: string;
  /** Open a DevTools endpoint (for puppeteer-core) and wait for it. */
  readonly devtools: boolean;
  /** Extra flags (a proxy for the network guard). */
  readonly extraFlags?: readonly string[];
  readonly timeoutMs: number;
}

/** A running Chromium, a child of this process (so it dies with the task's process group). */
export interface ChromiumProcess {
  readonly proc: ManagedProcess;
  /** `ws://127.0.0.1:…/devtools/browser/…` when started with `devtools`. */
  readonly devtoolsUrl: string | undefined;
}

/**
 * Starts Chromium headful on the capture display. It is spawned here, not by puppeteer's launcher, which
 * detaches the browser into a process group of its own: a SIGKILL of the task must take the browser too.
 */
export async function startChromium(options: ChromiumOptions): Promise<ChromiumProcess> {
  const args = [
    ...chromiumFlags,
    ...(options.extraFlags ?? []),
    `--window-size=${options.width},${options.height}`,
    `--user-data-dir=${options.profileDir}`,
    `--crash-dumps-dir=${join(options.profileDir, 'crashes')}`,
    ...(options.devtools ? ['--remote-debugging-port=0', '--remote-debugging-address=127.0.0.1'] : []),
    options.url,
  ];
  const proc = new ManagedProcess(options.chromium, args, {
    name: 'chromium',
    logger: options.logger,
    env: options.env,
  });
  if (!options.devtools) return { proc, devtoolsUrl: undefined };
  try {
    return { proc, devtoolsUrl: await devtoolsEndpoint(proc, options.timeoutMs) };
  } catch (err) {
    await proc.stop('SIGKILL');
    throw err;
  }
}

/** Reads Chromium's "DevTools listening on ws://…" line from its stderr. */
function devtoolsEndpoint(proc: ManagedProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen = (seen + chunk.toString('utf8')).slice(-4096);
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
      if (match?.[1] !== undefined) {
        done();
        resolve(match[1]);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new CaptureError(`chromium opened no DevTools endpoint within ${timeoutMs} ms`, 'chromium'));
    }, timeoutMs);
    const onExit = (): void => {
      done();
      reject(new CaptureError('chromium exited before it opened its DevTools endpoint', 'chromium'));
    };
    const done = (): void => {
      clearTimeout(timer);
      proc.child.stderr?.off('data', onData);
      proc.child.off('exit', onExit);
    };
    proc.child.stderr?.on('data', onData);
    proc.child.once('exit', onExit);
  });
}
