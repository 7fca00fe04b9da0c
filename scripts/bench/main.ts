/**
 * `npm run bench`: the project's performance figures, measured with real parts on this machine (never by
 * timed assertions in tests). Prints a table and writes `.data/bench/latest.json`.
 *
 * Environment: BENCH_ONLY (comma-separated sections: `websocket`, `files`, `composite`, `track-composite`,
 * `burst`; default all),
 * BENCH_WS_RUNS (default 8), BENCH_WS_SECONDS (default 20), BENCH_TRACKS (20), BENCH_TRACK_SECONDS (30),
 * BENCH_COMPOSITE_SECONDS (30), BENCH_COMPOSITE_WARMUP_SECONDS (5), BENCH_COMPOSITE_RUNS (3),
 * BENCH_TRACK_COMPOSITE_SECONDS (60; 600 for the ten-minute drift figure), BENCH_BURST (50 egresses),
 * BENCH_BURST_SECONDS (30 each). The sections
 * that ran replace theirs in `.data/bench/latest.json`; the others' figures are kept.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { startLiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture } from '#bench/local-fixture.ts';
import { createLogger } from '#shared/logger.ts';
import { benchBurst } from './burst.ts';
import { printRoomComposite } from './composite-report.ts';
import { benchRoomComposite } from './room-composite.ts';
import { benchTrackComposite } from './track-composite.ts';
import { benchTrackFileEgress } from './track-file-egress.ts';
import { benchWebSocketEgress } from './websocket-egress.ts';

const runs = Number(process.env['BENCH_WS_RUNS'] ?? '8');
const streamSeconds = Number(process.env['BENCH_WS_SECONDS'] ?? '20');
const trackCount = Number(process.env['BENCH_TRACKS'] ?? '20');
const trackSeconds = Number(process.env['BENCH_TRACK_SECONDS'] ?? '30');
const compositeSeconds = Number(process.env['BENCH_COMPOSITE_SECONDS'] ?? '30');
const compositeWarmup = Number(process.env['BENCH_COMPOSITE_WARMUP_SECONDS'] ?? '5');
const compositeRuns = Number(process.env['BENCH_COMPOSITE_RUNS'] ?? '3');
const trackCompositeSeconds = Number(process.env['BENCH_TRACK_COMPOSITE_SECONDS'] ?? '60');
const burstCount = Number(process.env['BENCH_BURST'] ?? '50');
const burstSeconds = Number(process.env['BENCH_BURST_SECONDS'] ?? '30');
const sections = ['websocket', 'files', 'composite', 'track-composite', 'burst'] as const;
const only = (process.env['BENCH_ONLY'] ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = only.filter((s) => !(sections as readonly string[]).includes(s));
if (unknown.length > 0) {
  console.error(`[bench] BENCH_ONLY: unknown section ${unknown.join(', ')} (known: ${sections.join(', ')})`);
  process.exit(2);
}
const wanted = (section: (typeof sections)[number]): boolean => only.length === 0 || only.includes(section);
const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
const latestFile = '.data/bench/latest.json';

/** The figures of earlier runs, so a run of some sections keeps the others'. */
async function previousFigures(): Promise<Record<string, unknown>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(latestFile, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

process.env['LOG_LEVEL'] ??= 'warn';
const livekit = await startLiveKitServer();
const local = await startLocalFixture(livekit);
try {
  console.log(`[bench] machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}`);
  const figures: Record<string, unknown> = { at: new Date().toISOString() };
  if (wanted('websocket')) {
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
    figures['websocket'] = ws;
  }
  if (wanted('files')) {
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
    figures['trackFiles'] = files;
  }
  if (wanted('composite')) {
    console.log(
      `\n[bench] room composite: 2 publishers, grid, ${compositeSeconds} s at 720p30 and 1080p30, ${compositeRuns} starts each, and the capture floor`,
    );
    const composite = await benchRoomComposite(livekit, local, {
      seconds: compositeSeconds,
      warmupSeconds: compositeWarmup,
      runs: compositeRuns,
      logger: createLogger({ component: 'bench' }),
    });
    printRoomComposite(composite);
    figures['roomComposite'] = composite;
  }
  if (wanted('track-composite')) {
    console.log(
      `\n[bench] track composite: one VP8 1280x720 1.5 Mbps + Opus publisher, ${trackCompositeSeconds} s at 720p30, ${compositeRuns} starts`,
    );
    const tc = await benchTrackComposite(livekit, local, {
      seconds: trackCompositeSeconds,
      warmupSeconds: compositeWarmup,
      runs: compositeRuns,
      logger: createLogger({ component: 'bench' }),
    });
    const l = tc.startLatencyMs;
    const room720 = (figures['roomComposite'] as { presets?: { cpuPerMediaSecond: number }[] } | undefined)
      ?.presets?.[0];
    console.log('');
    console.log('| Track composite 720p30 (rtc-node decode, no browser) | value | target |');
    console.log('| --- | --- | --- |');
    console.log(
      `| start latency, API call → ACTIVE, p50 / max (n=${l.n}) | ${fmt(l.p50)} / ${fmt(l.max)} ms | ≤ 2000 ms |`,
    );
    console.log(
      `| CPU per media-second, every process of the task | ${fmt(tc.cpuPerMediaSecond, 3)} core${room720 === undefined ? '' : ` (${fmt(tc.cpuPerMediaSecond / room720.cpuPerMediaSecond, 2)}× the room composite's)`} | ≤ 0.5 core |`,
    );
    console.log(`| peak PSS of the task's processes | ${fmt(tc.pss.peakMiB)} MiB | |`);
    console.log(`| publisher sent | ${fmt(tc.published.kbps)} kbps, ${fmt(tc.published.fps, 1)} fps | 1500 kbps |`);
    console.log(`| file duration − (ACTIVE → stop) | ${fmt(tc.durationS - tc.activeToStopS, 2)} s | ±0.5 s |`);
    const s = tc.sync;
    console.log(
      `| A/V offset p95 (abs) / median, ${s.pairs} of ${s.expected} flashes paired | ${fmt(s.p95AbsMs)} / ${fmt(s.medianMs)} ms | p95 ≤ 40 ms |`,
    );
    console.log(
      `| A/V median offset, first minute / last 20 s | ${fmt(s.firstMinuteMedianMs)} / ${fmt(s.lastMedianMs)} ms | no drift |`,
    );
    console.log(`| frame-cadence drift p95 | ${fmt(s.cadenceP95DriftMs)} ms | ≤ 40 ms |`);
    if (s.minuteMediansMs.length > 1)
      console.log(`| A/V median offset by minute | ${s.minuteMediansMs.join(', ')} ms | |`);
    figures['trackComposite'] = tc;
  }
  if (wanted('burst')) {
    console.log(
      `\n[bench] burst: ${burstCount} track egresses started back to back (3/5 Opus files, 1/5 VP8 files, 1/5 WebSocket), 10 publishers, ${burstSeconds} s each`,
    );
    const b = await benchBurst(livekit, local, { count: burstCount, publisherCount: 10, seconds: burstSeconds });
    console.log('');
    console.log(`| Burst of ${b.egresses} track egresses | value | target |`);
    console.log('| --- | --- | --- |');
    console.log(
      `| API call → ACTIVE, p50 / p95 / max | ${fmt(b.toActiveMs.p50)} / ${fmt(b.toActiveMs.p95)} / ${fmt(b.toActiveMs.max)} ms | p95 ≤ 10000 ms |`,
    );
    console.log(`| the start call itself, p50 / p95 | ${fmt(b.startCallMs.p50)} / ${fmt(b.startCallMs.p95)} ms | |`);
    console.log(
      `| task CPU from spawn to ACTIVE, p50 / p95 | ${fmt(b.startupCpuSeconds.p50, 2)} / ${fmt(b.startupCpuSeconds.p95, 2)} s | ≤ 0.2 s |`,
    );
    console.log(`| start calls failed / COMPLETE | ${b.startFailures} / ${b.complete} of ${b.egresses} | 0 / all |`);
    console.log(`| files with decode errors (lines) | ${b.filesWithDecodeErrors} (${b.decodeErrorLines}) | 0 |`);
    const d = b.durationErrorS;
    console.log(
      `| file duration − (ACTIVE → stop), min / max, Opus; VP8 | ${fmt(d.opus.min, 3)} / ${fmt(d.opus.max, 3)}; ${fmt(d.vp8.min, 3)} / ${fmt(d.vp8.max, 3)} s | ±0.05 s |`,
    );
    console.log(`| WebSockets short of PCM (< 90 % of wall time) | ${b.shortWebSockets} | 0 |`);
    const skipped = b.publisherSkippedS;
    console.log(
      `| sound a starved publisher skipped (never sent), min / max per publisher | ${fmt(skipped.min, 1)} / ${fmt(skipped.max, 1)} s | 0 (the test's publishers, not the egress) |`,
    );
    figures['burst'] = b;
  }
  await mkdir('.data/bench', { recursive: true });
  await writeFile(latestFile, JSON.stringify({ ...(await previousFigures()), ...figures }, null, 2));
  console.log(`\n[bench] figures written to ${latestFile}`);
} catch (err) {
  console.error('[bench] failed:', err);
  process.exitCode = 1;
} finally {
  await local.stop();
  await livekit.stop();
}
// The WebRTC stacks' native threads (rtc-node) would keep the process alive after its work is done.
process.exit(process.exitCode ?? 0);
