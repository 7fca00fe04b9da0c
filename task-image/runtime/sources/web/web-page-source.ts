import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type HTTPResponse, type Page } from 'puppeteer-core';
import { EgressError, describeError } from '#domain/errors.ts';
import { redactUrl } from '#domain/request/redact.ts';
import type { Logger } from '#shared/logger.ts';
import { CAPTURE_SINK, startCaptureStack, type CaptureStack } from '../../capture/capture-stack.ts';
import { startGuardedProxy, type GuardedProxy } from './guarded-proxy.ts';
import { isRetryableNavigation, redactPageText, signalOf } from './page-signals.ts';
import { webrtcGuardScript } from './webrtc-guard.ts';

/** How the page is shown and when recording starts. */
export interface WebPageOptions {
  readonly url: string;
  readonly width: number;
  readonly height: number;
  readonly depth: number;
  /** Wait for `START_RECORDING` on the console; otherwise recording starts once the page loaded. */
  readonly awaitStartSignal: boolean;
  readonly chromium: string;
  readonly logger: Logger;
  /** Aborted when the egress is stopped: a pending start gives up. */
  readonly signal: AbortSignal;
}

/** What the page source reports while it runs. */
export interface WebPageEvents {
  /** The page asked to end the recording (`END_RECORDING`), or the room it shows closed. */
  readonly onEnd: () => void;
  /** The browser or the page broke: the egress fails with this error. */
  readonly onFailure: (err: EgressError) => void;
}

const navigationTimeoutMs = 30_000;
const navigationAttempts = 3;
const errorPollMs = 1_000;
/** While the start signal has not come, a warning this often (LiveKit's egress waits for it without limit). */
const startWaitWarnMs = 10_000;

/**
 * The source of room composite and web egress: a page in Chromium, headful on its own Xvfb display, its
 * sound in its own PulseAudio null sink. Resolves once recording may start (the start signal, or the page
 * loaded), so the encoder captures only what the user asked for.
 */
export class WebPageSource {
  private stopped: Promise<void> | undefined;
  private errorTimer: NodeJS.Timeout | undefined;
  private startWaitTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly stack: CaptureStack,
    private readonly browser: Browser,
    private readonly page: Page,
    private readonly workDir: string,
    private readonly proxy: GuardedProxy,
    private readonly logger: Logger,
  ) {}

  /** The display and audio the encoder captures. */
  get capture(): { display: string; audioSource: string; env: NodeJS.ProcessEnv } {
    return { display: this.stack.display, audioSource: `${CAPTURE_SINK}.monitor`, env: this.stack.env };
  }

  /**
   * Starts the stack, loads the page and waits for the start signal. Rejects with an EgressError when the
   * page fails to load or reports a template error; rejects with `signal.reason` handling left to the
   * caller when stopped first (check `signal.aborted`).
   */
  static async start(options: WebPageOptions, events: WebPageEvents): Promise<WebPageSource> {
    const workDir = await mkdtemp(join(tmpdir(), 'ue-web-'));
    const proxy = await startGuardedProxy(options.logger);
    let stack: CaptureStack | undefined;
    let browser: Browser | undefined;
    let source: WebPageSource;
    try {
      stack = await startCaptureStack({
        workDir,
        width: options.width,
        height: options.height,
        depth: options.depth,
        pageUrl: 'about:blank',
        chromium: options.chromium,
        logger: options.logger,
        signal: options.signal,
        devtools: true,
        chromiumFlags: proxy.chromiumFlags,
      });
      browser = await puppeteer.connect({ browserWSEndpoint: stack.devtoolsUrl, defaultViewport: null });
      const page = (await browser.pages())[0] ?? (await browser.newPage());
      await page.evaluateOnNewDocument(webrtcGuardScript);
      source = new WebPageSource(stack, browser, page, workDir, proxy, options.logger);
    } catch (err) {
      await browser?.disconnect().catch(() => undefined);
      await stack?.stop();
      await proxy.close();
      await rm(workDir, { recursive: true, force: true });
      throw err;
    }
    try {
      await source.load(options, events);
      return source;
    } catch (err) {
      // Stopping marks the source closed first, so the browser's exit is not reported as a second failure.
      await source.stop();
      throw err;
    }
  }

  private async load(options: WebPageOptions, events: WebPageEvents): Promise<void> {
    const log = this.logger;
    let started = !options.awaitStartSignal;
    let resolveStart: (() => void) | undefined;
    const startSignal = new Promise<void>((resolve) => (resolveStart = resolve));
    this.page.on('console', (message) => {
      const signal = signalOf(message);
      if (signal === 'START_RECORDING' && !started) {
        started = true;
        clearInterval(this.startWaitTimer);
        log.info('page sent START_RECORDING');
        resolveStart?.();
      } else if (signal === 'END_RECORDING') {
        log.info('page sent END_RECORDING');
        events.onEnd();
      } else if (message.type() === 'error') {
        // Before the start, a page error is the likely reason the start signal does not come: shown.
        const level = started ? 'debug' : 'warn';
        log[level]('page console error', { text: redactPageText(message.text()), beforeStart: !started });
      }
    });
    this.page.on('pageerror', (err) => {
      const level = started ? 'debug' : 'warn';
      log[level]('page error', { error: redactPageText(describeError(err)), beforeStart: !started });
    });
    this.page.on('error', (err) => events.onFailure(pageFailure(`page crashed: ${describeError(err)}`)));
    void this.stack.browser.exited.then(() => {
      if (this.stopped === undefined) events.onFailure(pageFailure('chromium exited while recording'));
    });
    await this.navigate(options.url, options.signal);
    this.watchTemplateError(events);
    if (started) return;
    const waitingSince = Date.now();
    this.startWaitTimer = setInterval(() => {
      log.warn('still waiting for START_RECORDING', { waitedS: Math.round((Date.now() - waitingSince) / 1000) });
    }, startWaitWarnMs);
    try {
      await abortable(startSignal, options.signal);
    } finally {
      clearInterval(this.startWaitTimer);
    }
  }

  private async navigate(url: string, signal: AbortSignal): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let response: HTTPResponse | null;
      try {
        response = await abortable(this.page.goto(url, { waitUntil: 'load', timeout: navigationTimeoutMs }), signal);
      } catch (err) {
        if (signal.aborted) throw err;
        if (attempt < navigationAttempts && isRetryableNavigation(err)) {
          this.logger.warn('page load failed, retrying', { attempt, error: describeError(err) });
          continue;
        }
        // Puppeteer's message ends "at <url>": the template page's URL carries the recorder's token.
        const reason = describeError(err).split(url).join(redactUrl(url));
        throw new EgressError('unavailable', `page load error: ${reason}`, {
          cause: err,
          fault: 'destination',
        });
      }
      const status = response?.status() ?? 200;
      if (status >= 400)
        throw new EgressError('invalid_argument', `page load error: ${status}`, { fault: 'destination' });
      this.logger.info('page loaded', { status, attempt });
      return;
    }
  }

  /** LiveKit's convention: a template shows its errors in a `div.error`, which fails the egress. */
  private watchTemplateError(events: WebPageEvents): void {
    this.errorTimer = setInterval(() => {
      this.page
        .evaluate(() => document.querySelector('div.error')?.textContent?.trim() ?? '')
        .then((text) => {
          if (text !== '' && this.stopped === undefined) {
            clearInterval(this.errorTimer);
            events.onFailure(new EgressError('invalid_argument', `template error: ${text}`));
          }
        })
        .catch(() => undefined);
    }, errorPollMs);
  }

  /** Closes the browser and stops the stack; removes the scratch folder. Idempotent. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      clearInterval(this.errorTimer);
      clearInterval(this.startWaitTimer);
      await this.browser.disconnect().catch(() => undefined);
      await this.stack.stop();
      await this.proxy.close();
      await rm(this.workDir, { recursive: true, force: true });
    })();
    return this.stopped;
  }
}

function pageFailure(message: string): EgressError {
  return new EgressError('internal', message);
}

/** Rejects when `signal` aborts first. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
