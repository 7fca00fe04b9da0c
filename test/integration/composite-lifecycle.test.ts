import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { EgressStatus, EncodedFileOutput } from '@livekit/protocol';
import type { EgressClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture, waitForStatus, type LocalFixture } from '#bench/local-fixture.ts';
import { mediaDuration, probe, volume } from '#bench/media-check.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Pages of a custom template / web site, each playing a tone and animating, with scripted signals. */
const pages: Readonly<Record<string, string>> = {
  '/silent-start/': page(''),
  '/ends-itself/': page("console.log('START_RECORDING'); setTimeout(() => console.log('END_RECORDING'), 6000);"),
  '/broken/': page(
    "document.body.insertAdjacentHTML('beforeend', '<div class=\"error\">could not join the room</div>');",
  ),
  '/site/': page(''),
};

function page(script: string): string {
  return `<!doctype html><html><body style="margin:0;background:#246"><div id="n" style="font-size:200px;color:#fff">0</div>
<script>
let n = 0; const el = document.getElementById('n');
(function draw() { el.textContent = String(++n); document.body.style.background = 'hsl(' + (n * 7 % 360) + ',60%,40%)'; requestAnimationFrame(draw); })();
const ctx = new AudioContext(); const osc = ctx.createOscillator(); const gain = ctx.createGain(); gain.gain.value = 0.3;
osc.connect(gain).connect(ctx.destination); osc.start();
${script}
</script></body></html>`;
}

describe('composite egress lifecycle with custom templates and web pages (real Chromium)', () => {
  let livekit: LiveKitServer;
  let local: LocalFixture;
  let client: EgressClient;
  let site: Server;
  let siteUrl: string;

  beforeAll(async () => {
    livekit = await startLiveKitServer();
    local = await startLocalFixture(livekit);
    client = local.client;
    site = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const body = pages[path];
      if (body === undefined) {
        res.writeHead(404).end('not here');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html' }).end(body);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await local?.stop();
    await livekit?.stop();
    await new Promise((resolve) => site?.close(resolve));
  });

  it('ends ABORTED "Start signal not received" when stopped before the template starts', async () => {
    const info = await client.startRoomCompositeEgress('lifecycle', new EncodedFileOutput({ filepath: 'never' }), {
      customBaseUrl: `${siteUrl}/silent-start/`,
    });
    await sleep(4_000);
    await client.stopEgress(info.egressId);
    const done = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_ABORTED, 15_000);
    expect(done.error).toBe('Start signal not received');
    expect(done.errorCode).toBe(412);
  });

  it('completes "Source closed" when a custom template logs END_RECORDING, with the file finalised', async () => {
    const info = await client.startRoomCompositeEgress(
      'lifecycle',
      new EncodedFileOutput({ filepath: 'custom/ends' }),
      {
        customBaseUrl: `${siteUrl}/ends-itself/?theme=mine`,
      },
    );
    await waitForStatus(client, info.egressId, EgressStatus.EGRESS_ACTIVE, 15_000);
    const done = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_COMPLETE, 30_000);
    expect(done.details).toBe('End reason: Source closed');
    const file = join(local.outputDir, 'custom/ends.mp4');
    const duration = await mediaDuration(file);
    // The page ends 6 s after its start signal; the encoder's first frame comes up to ~2 s after that signal.
    expect(duration).toBeGreaterThan(3.5);
    expect(duration).toBeLessThan(7);
    expect((await volume(file)).silent).toBe(false);
  });

  it('fails "template error: …" when the template shows a div.error', async () => {
    const info = await client.startRoomCompositeEgress('lifecycle', new EncodedFileOutput({ filepath: 'broken' }), {
      customBaseUrl: `${siteUrl}/broken/`,
    });
    const done = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_FAILED, 20_000);
    expect(done.error).toBe('template error: could not join the room');
    expect(done.errorCode).toBe(400);
  });

  it('fails "page load error" for a template server that is down, without the recorder token in the error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const info = await client.startRoomCompositeEgress('lifecycle', new EncodedFileOutput({ filepath: 'down' }), {
      customBaseUrl: `http://127.0.0.1:${port}/`,
    });
    const done = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_FAILED, 20_000);
    expect(done.error).toMatch(/^page load error: net::ERR_CONNECTION_REFUSED at http:\/\/127\.0\.0\.1:\d+\/\?/);
    expect(done.error).toContain('token={...}');
    expect(done.error).not.toMatch(/eyJ/);
  });

  it('fails "page load error: 404" for a page that does not exist', async () => {
    const info = await client.startWebEgress(`${siteUrl}/missing/`, new EncodedFileOutput({ filepath: 'missing' }));
    const done = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_FAILED, 20_000);
    expect(done.error).toBe('page load error: 404');
  });

  it('records a web page without waiting for a start signal, audio-only to OGG', async () => {
    const info = await client.startWebEgress(`${siteUrl}/site/`, new EncodedFileOutput({ filepath: 'web/site.ogg' }), {
      audioOnly: true,
    });
    expect(info.roomName).toBe('');
    await waitForStatus(client, info.egressId, EgressStatus.EGRESS_ACTIVE, 15_000);
    await sleep(5_000);
    await client.stopEgress(info.egressId);
    const done = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_COMPLETE, 20_000);
    expect(done.fileResults[0]?.filename).toBe('web/site.ogg');
    const probed = await probe(join(local.outputDir, 'web/site.ogg'));
    expect(probed.video).toBeUndefined();
    expect(probed.audio).toMatchObject({ codec: 'opus', sampleRate: 48000, channels: 2 });
    expect((await volume(join(local.outputDir, 'web/site.ogg'))).silent).toBe(false);
  });
});
