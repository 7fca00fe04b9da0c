/**
 * CPU of the recorder per track, measured with real parts (not a test: figures, no assertions).
 *
 *   npx tsx task-image/runtime/muxers/bench-cpu.ts [--seconds 20] [--rounds 2] [--video 960x540@1500]
 *
 * A publisher in a child process sends Opus and VP8 through the real livekit-server; this process subscribes
 * to both with the werift subscriber and, phase by phase, records nothing (the subscriber's baseline), the
 * audio track, or the video track, each to a file. The process CPU of a recording phase minus the baseline
 * phase is the recorder's cost (with the file writes and the garbage it makes); the time spent inside its
 * synchronous `pushRtp`, which does all of the reordering, depacketizing and muxing, is measured too.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startLiveKitServer } from '#bench/livekit-server.ts';
import { createLogger } from '#shared/logger.ts';
import { LiveKitSubscriber, type SubscribedTrack } from '#task/livekit-subscriber/index.ts';
import { recorderToken } from '#task/sources/recorder-token.ts';
import { FileSink } from './test-sinks.ts';
import { createTrackRecorder } from './track-recorder.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '2' },
    video: { type: 'string', default: '960x540@1500' },
  },
});
const phaseMs = Number(values.seconds) * 1000;
const rounds = Number(values.rounds);
const logger = createLogger({ component: 'bench-cpu' }, { level: 'warn' });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const print = (line: string): void => void process.stdout.write(`${line}\n`);

type Phase = 'baseline' | 'audio' | 'video';

interface Measured {
  readonly cores: number;
  /** Share of a core spent inside `pushRtp` (synchronous: all of the depacketizing and muxing). */
  readonly selfCores: number;
  readonly kbps: number;
}

const server = await startLiveKitServer({ logger });
const dir = await mkdtemp(join(tmpdir(), 'ue-bench-cpu-'));
const room = 'bench-cpu';
// Node itself with tsx's loader (not npx), so that SIGTERM reaches the publisher.
const child = spawn(process.execPath, ['--import', 'tsx', 'task-image/runtime/muxers/bench-publisher.ts'], {
  env: {
    ...process.env,
    BENCH_URL: server.url,
    BENCH_KEY: server.apiKey,
    BENCH_SECRET: server.apiSecret,
    BENCH_ROOM: room,
    BENCH_VIDEO: values.video,
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
try {
  const sids = await publishedSids(child.stdout);
  const token = await recorderToken(server.apiKey, server.apiSecret, 'EG_bench_cpu', room);
  const subscriber = await LiveKitSubscriber.connect({ url: server.url, token, logger });
  const tracks = { audio: await subscriber.subscribe(sids.audio), video: await subscriber.subscribe(sids.video) };
  const received = { audio: 0, video: 0 };
  tracks.audio.onRtp((p) => (received.audio += p.payload.length));
  tracks.video.onRtp((p) => (received.video += p.payload.length));
  await sleep(5_000); // warm-up: key frames, bandwidth estimation, JIT
  const results: Record<Phase, Measured[]> = { baseline: [], audio: [], video: [] };
  for (let round = 0; round < rounds; round++) {
    for (const phase of ['baseline', 'audio', 'video'] as const) {
      results[phase].push(await measure(phase, phase === 'baseline' ? undefined : tracks[phase], received));
    }
  }
  report(results);
  await subscriber.close();
} finally {
  child.kill('SIGTERM');
  await once(child, 'exit');
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}

/** The publisher's line with the track sids (rtc-node's own log lines go to stdout too). */
async function publishedSids(stdout: NodeJS.ReadableStream): Promise<{ audio: string; video: string }> {
  for await (const line of createInterface({ input: stdout })) {
    if (line.includes('"video"')) return JSON.parse(line) as { audio: string; video: string };
  }
  throw new Error('the bench publisher exited before publishing');
}

/** One phase: records `track` (if any) for `phaseMs` and measures this process's CPU. */
async function measure(
  phase: Phase,
  track: SubscribedTrack | undefined,
  received: Record<'audio' | 'video', number>,
): Promise<Measured> {
  let self = 0;
  let detach = (): void => undefined;
  let finish = (): Promise<void> => Promise.resolve();
  if (track !== undefined) {
    const file = await FileSink.create(join(dir, `${phase}-${Date.now()}`));
    const recorder = createTrackRecorder({
      codec: track.codec,
      sink: file,
      logger,
      requestKeyFrame: () => track.requestKeyFrame(),
    });
    detach = track.onRtp((packet) => {
      const start = performance.now();
      recorder.pushRtp(packet);
      self += performance.now() - start;
    });
    finish = async () => {
      detach();
      const stats = await recorder.finish();
      await file.close();
      print(`  ${phase}: ${stats.frames} frames, ${stats.bytes} bytes, ${Math.round(stats.durationMs)} ms`);
    };
  }
  const bytesBefore = track === undefined ? 0 : received[track.kind];
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  await sleep(phaseMs);
  const cpu = process.cpuUsage(cpuBefore);
  const wall = performance.now() - wallBefore;
  const bytes = track === undefined ? 0 : received[track.kind] - bytesBefore;
  await finish();
  const measured = { cores: (cpu.user + cpu.system) / 1000 / wall, selfCores: self / wall, kbps: (bytes * 8) / wall };
  print(`${phase}: ${JSON.stringify(measured)}`);
  return measured;
}

function report(results: Record<Phase, Measured[]>): void {
  const mean = (list: readonly Measured[], key: keyof Measured): number =>
    list.reduce((sum, m) => sum + m[key], 0) / Math.max(list.length, 1);
  const baseline = mean(results.baseline, 'cores');
  print(`subscriber baseline (Opus + VP8 received, nothing recorded): ${baseline.toFixed(3)} core`);
  for (const kind of ['audio', 'video'] as const) {
    const cores = mean(results[kind], 'cores');
    print(
      `${kind} recorder: ${(cores - baseline).toFixed(3)} core over the baseline, ` +
        `${mean(results[kind], 'selfCores').toFixed(4)} core inside pushRtp, ` +
        `track at ${Math.round(mean(results[kind], 'kbps'))} kbit/s`,
    );
  }
}
