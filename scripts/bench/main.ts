/**
 * `npm run bench`: the project's performance figures, measured with real parts on this machine (never by
 * timed assertions in tests). Prints a table and writes `.data/bench/latest.json`.
 *
 * Environment: BENCH_WS_RUNS (default 8), BENCH_WS_SECONDS (default 20).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { startLiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture } from '#bench/local-fixture.ts';
import { benchTrackFileEgress } from './track-file-egress.ts';
import { benchWebSocketEgress } from './websocket-egress.ts';

const runs = Number(process.env['BENCH_WS_RUNS'] ?? '8');
const streamSeconds = Number(process.env['BENCH_WS_SECONDS'] ?? '20');
const trackCount = Number(process.env['BENCH_TRACKS'] ?? '20');
const trackSeconds = Number(process.env['BENCH_TRACK_SECONDS'] ?? '30');
const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');

process.env['LOG_LEVEL'] ??= 'warn';
const livekit = await startLiveKitServer();
const local = await startLocalFixture(livekit);
try {
  console.log(`[bench] machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}`);
  console.log(`[bench] WebSocket track egress: ${runs} starts, one ${streamSeconds} s stream`);
  const ws = await benchWebSocketEgress(livekit, local, runs, streamSeconds);
  const l = ws.startLatencyMs;
  console.log('');
  console.log('| WebSocket track egress | value | target |');
  console.log('| --- | --- | --- |');
  console.log(`| start latency, API call → ACTIVE, p50 (n=${l.n}) | ${fmt(l.p50)} ms | ≤ 1000 ms |`);
  console.log(`| start latency p95 / max | ${fmt(l.p95)} / ${fmt(l.max)} ms | |`);
  console.log(
    `| task CPU per media-second (decode Opus → PCM, send) | ${fmt(ws.cpuPerMediaSecond, 4)} core | ≤ 0.02 core (passthrough target) |`,
  );
  console.log(`| task CPU from spawn to ACTIVE | ${fmt(ws.startupCpuSeconds, 2)} s | |`);
  console.log(`| task RSS while streaming | ${fmt(ws.rssMiB)} MiB | |`);
  console.log(
    `\n[bench] track egress to files: ${trackCount} concurrent (half VP8 720p, half Opus), ${trackSeconds} s`,
  );
  const files = await benchTrackFileEgress(livekit, local, trackCount, trackSeconds);
  const t = files.startLatencyMs;
  const ratio = (a: number, b: number): string => (Number.isFinite(a) && a > 0 ? `${fmt(b / a, 1)}×` : 'n/a');
  console.log('');
  console.log('| Track egress (no transcoding) | value | target |');
  console.log('| --- | --- | --- |');
  console.log(
    `| start latency p50 / p95 / max (n=${t.n}, started one after another, the earlier ones recording) | ${fmt(t.p50)} / ${fmt(t.p95)} / ${fmt(t.max)} ms | ≤ 1000 ms |`,
  );
  console.log(`| CPU per audio track (Opus → OGG) | ${fmt(files.cpuPerTrack.audio, 4)} core | ≤ 0.02 core |`);
  console.log(
    `| CPU per video track (VP8 ${fmt(files.videoBitrateKbps)} kbps → WebM) | ${fmt(files.cpuPerTrack.video, 4)} core | ≤ 0.05 core |`,
  );
  console.log(
    `| memory (RSS) per task, audio / video | ${fmt(files.rssPerTrackMiB.audio)} / ${fmt(files.rssPerTrackMiB.video)} MiB | |`,
  );
  console.log(
    `| decode + re-encode (rtc-node + ffmpeg), audio | ${fmt(files.transcode.audio, 4)} core | ${ratio(files.cpuPerTrack.audio, files.transcode.audio)} the passthrough |`,
  );
  console.log(
    `| decode + re-encode (rtc-node + ffmpeg), video | ${fmt(files.transcode.video, 4)} core | ${ratio(files.cpuPerTrack.video, files.transcode.video)} the passthrough |`,
  );
  await mkdir('.data/bench', { recursive: true });
  await writeFile(
    '.data/bench/latest.json',
    JSON.stringify({ at: new Date().toISOString(), websocket: ws, trackFiles: files }, null, 2),
  );
  console.log('\n[bench] figures written to .data/bench/latest.json');
} finally {
  await local.stop();
  await livekit.stop();
}
