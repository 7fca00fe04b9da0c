import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { baitIpv4, baitIpv6 } from './bait.ts';

/** A host name that `/etc/hosts` maps to the bait — only inside the scenario's own mount namespace. */
export const baitHostname = 'metadata-bait.test';

const v4 = `http://${baitIpv4}`;
const v6 = `http://[${baitIpv6}]`;

/**
 * Every way the page tries to reach the bait, keyed as it reports them. Each key must be reported (with
 * what the page saw) before the scenario ends, so an attempt that never ran cannot pass for a refused one.
 */
export const attemptKeys = [
  'img',
  'img-redirect',
  'script',
  'stylesheet',
  'iframe',
  'fetch',
  'fetch-redirect',
  'fetch-https',
  'fetch-ipv6',
  'fetch-ipv4-mapped',
  'fetch-decimal-ip',
  'fetch-hostname',
  'websocket',
  'websocket-ipv6',
  'event-source',
  'beacon',
  'popup',
  'webrtc',
] as const;

/** The page: it reports each attempt to `/report` (same origin, loopback) and draws and beeps meanwhile. */
function page(): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>guard</title>
<script>
const reported = new Set();
function report(key, outcome) {
  if (reported.has(key)) return;
  reported.add(key);
  fetch('/report', { method: 'POST', body: JSON.stringify({ key, outcome: String(outcome).slice(0, 200) }) });
}
function tryFetch(key, url) {
  fetch(url).then((r) => r.text()).then((t) => report(key, 'read: ' + t), (e) => report(key, 'error: ' + e));
}
function trySocket(key, url) {
  const ws = new WebSocket(url);
  ws.onopen = () => report(key, 'open');
  ws.onerror = () => report(key, 'error');
  ws.onclose = (e) => report(key, 'close ' + e.code);
}
</script>
<link rel="stylesheet" href="${v4}/style.css" onload="report('stylesheet','load')" onerror="report('stylesheet','error')">
<script src="${v4}/script.js" onload="report('script','load')" onerror="report('script','error')"></script>
</head><body style="margin:0;background:#123">
<canvas id="c" width="640" height="360" style="width:100vw;height:60vh;display:block"></canvas>
<img src="${v4}/a.png" onload="report('img','load')" onerror="report('img','error')">
<img src="/redirect-img" onload="report('img-redirect','load')" onerror="report('img-redirect','error')">
<iframe src="${v4}/frame" onload="report('iframe','load (an error page loads too)')"></iframe>
<script>
const c = document.getElementById('c').getContext('2d');
let n = 0;
(function draw() {
  n++;
  c.fillStyle = 'hsl(' + (n * 5 % 360) + ',60%,40%)'; c.fillRect(0, 0, 640, 360);
  c.fillStyle = '#fff'; c.fillRect((n * 7) % 600, 150, 40, 40); c.font = '64px sans-serif'; c.fillText(String(n), 20, 80);
  requestAnimationFrame(draw);
})();
const audio = new AudioContext(); const osc = audio.createOscillator(); const gain = audio.createGain();
gain.gain.value = 0.3; osc.frequency.value = 440; osc.connect(gain).connect(audio.destination); osc.start();

tryFetch('fetch', '${v4}/v2/credentials');
tryFetch('fetch-redirect', '/redirect');
tryFetch('fetch-https', 'https://${baitIpv4}/v2/credentials');
tryFetch('fetch-ipv6', '${v6}/v2/credentials');
tryFetch('fetch-ipv4-mapped', 'http://[::ffff:${baitIpv4}]/v2/credentials');
tryFetch('fetch-decimal-ip', 'http://2852039170/v2/credentials');
tryFetch('fetch-hostname', 'http://${baitHostname}/v2/credentials');
trySocket('websocket', 'ws://${baitIpv4}/ws');
trySocket('websocket-ipv6', 'ws://[${baitIpv6}]/ws');
const events = new EventSource('${v4}/events');
events.onopen = () => report('event-source', 'open');
events.onerror = () => { report('event-source', 'error'); events.close(); };
report('beacon', 'queued: ' + navigator.sendBeacon('${v4}/beacon', 'x'));
// The frame's request is made by the parser; its load event is only what the page saw of it.
setTimeout(() => report('iframe', 'no load event within 8 s'), 8000);
const popup = window.open('${v4}/popup', 'bait');
setTimeout(() => { report('popup', popup === null ? 'blocked' : 'opened'); popup?.close(); }, 1500);

// WebRTC is not proxied: ICE to a STUN/TURN server on the bait goes out of the browser itself.
const pc = new RTCPeerConnection({ iceServers: [
  { urls: 'stun:${baitIpv4}:3478' },
  { urls: ['turn:${baitIpv4}:3478?transport=udp', 'turn:${baitIpv4}:3478?transport=tcp'], username: 'u', credential: 'p' },
] });
const seen = [];
pc.onicecandidate = (e) => { if (e.candidate) seen.push(e.candidate.type + '/' + e.candidate.protocol + '/' + e.candidate.address); };
pc.onicecandidateerror = (e) => seen.push('error ' + e.errorCode + ' ' + e.url);
pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') report('webrtc', 'gathered ' + seen.join(', ')); };
pc.createDataChannel('d');
pc.createOffer().then((o) => pc.setLocalDescription(o)).catch((e) => report('webrtc', 'error: ' + e));
setTimeout(() => report('webrtc', 'gathering not complete after 10 s: ' + seen.join(', ')), 10000);
</script></body></html>`;
}

/** The site on loopback: the page, two redirects into the bait, and the page's reports. */
export interface Site {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Outcomes the page reported so far, by attempt key. */
  readonly attempts: ReadonlyMap<string, string>;
  close(): Promise<void>;
}

/** Starts the site on 127.0.0.1 on a random port. */
export async function startSite(): Promise<Site> {
  const attempts = new Map<string, string>();
  const body = page();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://site').pathname;
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(body);
    } else if (path === '/redirect' || path === '/redirect-img') {
      res.writeHead(302, { location: `${v4}/redirected${path === '/redirect-img' ? '.png' : ''}` }).end();
    } else if (path === '/report' && req.method === 'POST') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const { key, outcome } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { key: string; outcome: string };
        attempts.set(key, outcome);
        res.writeHead(204).end();
      });
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    attempts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
