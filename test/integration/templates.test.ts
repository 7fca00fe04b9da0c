import { randomBytes } from 'node:crypto';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { startSyntheticPublisher, type SyntheticPublisher } from '#bench/synthetic-publisher.ts';
import { createLogger } from '#shared/logger.ts';
import { recorderToken } from '#task/sources/recorder-token.ts';
import {
  builtInTemplatesRoot,
  startTemplateServer,
  templatePageUrl,
  type TemplateServer,
} from '#task/sources/template-server.ts';

/**
 * What Chromium needs for WebRTC media with a LiveKit server that offers only 127.0.0.1 candidates, on a
 * machine whose only interface may be loopback (a container with no network): Chromium gathers no
 * candidates on loopback unless allowed, and with its host addresses hidden behind mDNS names (which
 * nothing resolves there) ICE never starts. With another interface up, media flows even without them.
 * Chromium keeps only the last `--disable-features`: a launcher must merge this feature into its own list.
 */
const loopbackWebRtcFlags = ['--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns'];

const chromiumFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--autoplay-policy=no-user-gesture-required',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--metrics-recording-only',
  '--window-size=1280,720',
  ...loopbackWebRtcFlags,
];

/** A template page, with the time each console signal arrived (ms since navigation started). */
interface OpenedPage {
  readonly page: Page;
  readonly openedAt: number;
  signalAt(signal: 'START_RECORDING' | 'END_RECORDING', timeoutMs: number): Promise<number>;
}

const egressId = (): string => `EG_test${randomBytes(3).toString('hex')}`;

describe('built-in room composite templates in Chromium (real LiveKit server)', () => {
  let livekit: LiveKitServer;
  let templates: TemplateServer;
  let browser: Browser;
  let rooms: RoomServiceClient;
  const publishers: SyntheticPublisher[] = [];

  beforeAll(async () => {
    livekit = await startLiveKitServer();
    rooms = new RoomServiceClient(livekit.httpUrl, livekit.apiKey, livekit.apiSecret);
    templates = await startTemplateServer({ root: builtInTemplatesRoot(), logger: createLogger({ test: 'tpl' }) });
    browser = await puppeteer.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: chromiumFlags,
      defaultViewport: { width: 1280, height: 720 },
    });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(publishers.map((p) => p.stop()));
    await templates?.close();
    await livekit?.stop();
  });

  async function publish(room: string, identity: string, screenShare = false): Promise<SyntheticPublisher> {
    const publisher = await startSyntheticPublisher({
      url: livekit.url,
      apiKey: livekit.apiKey,
      apiSecret: livekit.apiSecret,
      room,
      identity,
      audio: !screenShare,
      video: { codec: 'vp8', width: 320, height: 180, fps: 15, bitrateKbps: 300 },
      screenShare,
      maxDurationMs: 60_000,
    });
    publishers.push(publisher);
    return publisher;
  }

  async function openTemplate(query: { room: string; identity: string; layout: string; token?: string }) {
    const page = await browser.newPage();
    const signals = new Map<string, number>();
    const waiters = new Map<string, () => void>();
    const openedAt = performance.now();
    page.on('console', (msg) => {
      const text = msg.text();
      if ((text === 'START_RECORDING' || text === 'END_RECORDING') && !signals.has(text)) {
        signals.set(text, performance.now() - openedAt);
        waiters.get(text)?.();
      }
    });
    const token = query.token ?? (await recorderToken(livekit.apiKey, livekit.apiSecret, query.identity, query.room));
    const url = templatePageUrl(templates.baseUrl, { livekitUrl: livekit.url, token, layout: query.layout });
    await page.goto(url, { waitUntil: 'load', timeout: 10_000 });
    const signalAt = async (signal: string, timeoutMs: number): Promise<number> => {
      const seen = signals.get(signal);
      if (seen !== undefined) return seen;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${signal} within ${timeoutMs} ms`)), timeoutMs);
        waiters.set(signal, () => {
          clearTimeout(timer);
          resolve();
        });
      });
      return signals.get(signal)!;
    };
    return { page, openedAt, signalAt } satisfies OpenedPage;
  }

  /** The drawn tiles: identity, where they are, and their video's playback state. */
  function tiles(page: Page) {
    return page.$$eval('#app .tile', (els) =>
      els.map((el) => {
        const video = el.querySelector('video')!;
        return {
          identity: (el as HTMLElement).dataset['identity'],
          source: (el as HTMLElement).dataset['source'],
          area: el.parentElement?.className,
          name: el.querySelector('.name')?.textContent,
          readyState: video.readyState,
          width: video.videoWidth,
          paused: video.paused,
          currentTime: video.currentTime,
          frames: video.getVideoPlaybackQuality().totalVideoFrames,
        };
      }),
    );
  }

  const rootAttrs = (page: Page) =>
    page.$eval('#app', (el) => Object.fromEntries(Object.entries((el as HTMLElement).dataset)));

  it('draws two publishers in a grid, playing, and follows UpdateLayout and a screen share', async () => {
    const room = 'tpl-grid';
    await Promise.all([publish(room, 'alice'), publish(room, 'bob')]);
    const recorder = egressId();
    const { page, signalAt } = await openTemplate({ room, identity: recorder, layout: 'grid' });
    const startMs = await signalAt('START_RECORDING', 5_000);
    console.log(`[templates] grid: START_RECORDING ${Math.round(startMs)} ms after navigation`);
    expect(startMs).toBeLessThan(4_000);

    const first = await tiles(page);
    expect(first.map((t) => t.identity).sort()).toEqual(['alice', 'bob']);
    expect(first.map((t) => t.name).sort()).toEqual(['alice', 'bob']);
    for (const tile of first) {
      expect(tile.readyState).toBeGreaterThanOrEqual(2);
      expect(tile.width).toBe(320);
      expect(tile.paused).toBe(false);
    }
    expect(await rootAttrs(page)).toMatchObject({ layout: 'grid', view: 'grid', theme: 'dark', tiles: '2' });
    await new Promise((r) => setTimeout(r, 1_000));
    const later = await tiles(page);
    for (const [i, tile] of later.entries()) {
      expect(tile.currentTime).toBeGreaterThan(first[i]!.currentTime + 0.5);
      expect(tile.frames).toBeGreaterThan(first[i]!.frames + 5);
    }
    console.log(
      `[templates] grid: frames decoded in 1 s: ${later.map((t, i) => t.frames - first[i]!.frames).join(', ')}`,
    );
    const audio = await page.$$eval('audio', (els) => els.map((el) => ({ paused: el.paused, muted: el.muted })));
    expect(audio).toEqual([
      { paused: false, muted: false },
      { paused: false, muted: false },
    ]);
    const shown = await page.$$eval('[data-identity]', (els) =>
      els.map((el) => (el as HTMLElement).dataset['identity']),
    );
    expect(shown).not.toContain(recorder);

    await rooms.updateParticipant(room, recorder, { metadata: JSON.stringify({ layout: 'speaker' }) });
    await page.waitForFunction(() => document.getElementById('app')?.dataset['layout'] === 'speaker', {
      timeout: 5_000,
    });
    const speaker = await tiles(page);
    expect(speaker.map((t) => t.area).sort()).toEqual(['main', 'strip']);
    expect(speaker.every((t) => !t.paused)).toBe(true);

    await rooms.updateParticipant(room, recorder, { metadata: JSON.stringify({ layout: 'single-speaker-light' }) });
    await page.waitForFunction(() => document.getElementById('app')?.dataset['view'] === 'single-speaker', {
      timeout: 5_000,
    });
    expect(await tiles(page)).toHaveLength(1);
    expect(await page.$eval('body', (el) => getComputedStyle(el).backgroundColor)).toBe('rgb(242, 242, 242)');

    await rooms.updateParticipant(room, recorder, { metadata: JSON.stringify({ layout: 'grid' }) });
    const sharer = await publish(room, 'carol', true);
    await page.waitForFunction(() => document.querySelector('.main .tile[data-source="screen"]') !== null, {
      timeout: 5_000,
    });
    expect(await rootAttrs(page)).toMatchObject({ layout: 'grid', view: 'speaker', theme: 'dark' });
    expect(
      (await tiles(page))
        .filter((t) => t.area === 'strip')
        .map((t) => t.identity)
        .sort(),
    ).toEqual(['alice', 'bob']);
    await sharer.stop();

    await rooms.deleteRoom(room);
    const endMs = await signalAt('END_RECORDING', 5_000);
    expect(endMs).toBeGreaterThan(startMs);
    await page.close();
  });

  it('starts an empty room within 3 s and ends when the room is deleted', async () => {
    const room = 'tpl-empty';
    const { page, signalAt } = await openTemplate({ room, identity: egressId(), layout: 'speaker-dark' });
    const startMs = await signalAt('START_RECORDING', 3_000);
    console.log(`[templates] empty room: START_RECORDING ${Math.round(startMs)} ms after navigation`);
    expect(await rootAttrs(page)).toMatchObject({ layout: 'speaker', theme: 'dark', tiles: '0' });
    await rooms.deleteRoom(room);
    await signalAt('END_RECORDING', 5_000);
    await page.close();
  });

  it('fails with a div.error when the server refuses the token', async () => {
    const token = await recorderToken(livekit.apiKey, 'not-the-secret-at-all', egressId(), 'tpl-refused');
    const { page, signalAt } = await openTemplate({ room: 'tpl-refused', identity: '', layout: 'grid', token });
    const error = await page.waitForSelector('div.error', { timeout: 10_000 });
    expect(await error!.evaluate((el) => el.textContent)).toMatch(/^connection to room failed: /);
    await expect(signalAt('START_RECORDING', 500)).rejects.toThrow(/no START_RECORDING/);
    await page.close();
  });

  it('fails with a div.error when the page has no url or token', async () => {
    const page = await browser.newPage();
    await page.goto(`${templates.baseUrl}?layout=grid`, { waitUntil: 'load', timeout: 10_000 });
    const error = await page.waitForSelector('div.error', { timeout: 5_000 });
    expect(await error!.evaluate((el) => el.textContent)).toBe('url is not found in query string');
    await page.close();
  });
});
