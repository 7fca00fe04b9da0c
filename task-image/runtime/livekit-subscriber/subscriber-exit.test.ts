/**
 * close() releases everything: a process that subscribed, received media and closed exits on its own.
 * Also reports the subscriber's CPU per track, measured in that process (the publisher runs here).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { createLogger } from '#shared/logger.ts';
import { publishAudio, publishVideo, recorderToken, VideoCodec, type TestPublication } from './test-publisher.ts';

const logger = createLogger({ test: 'livekit-subscriber-exit' }, { level: 'warn' });
const fixture = fileURLToPath(new URL('./exit-fixture.ts', import.meta.url));
let server: LiveKitServer;
const publications: TestPublication[] = [];

beforeAll(async () => {
  server = await startLiveKitServer({ logger });
});
afterAll(async () => {
  await Promise.allSettled(publications.map((p) => p.stop()));
  await server.stop();
});

interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly report: { packets: number; firstPacketMs: number; tracks: string[]; cpuCores: number; rssMb: number };
  /** Milliseconds between the report (written after close()) and the process exit. */
  readonly exitAfterCloseMs: number;
}

/** Runs the fixture; kills it `graceMs` after its report if it has not exited by then (or at `deadlineMs`). */
function runFixture(env: Record<string, string>, deadlineMs: number, graceMs = 5_000): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    let reportedAt = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (reportedAt === 0 && stdout.includes('\n')) {
        reportedAt = Date.now();
        clearTimeout(killer);
        killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      }
    });
    let killer = setTimeout(() => child.kill('SIGKILL'), deadlineMs);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      try {
        const report = JSON.parse(stdout.trim()) as ChildResult['report'];
        resolve({ code, signal, report, exitAfterCloseMs: Date.now() - reportedAt });
      } catch (err) {
        reject(new Error(`fixture printed no report (exit ${code ?? signal}): ${stdout}`, { cause: err }));
      }
    });
  });
}

test('a process that subscribed to audio and video and closed exits by itself', async () => {
  const room = `exit-${Date.now()}`;
  const audio = await publishAudio(server, room, 'speaker');
  const video = await publishVideo(server, room, 'camera', VideoCodec.VP8);
  publications.push(audio, video);
  const seconds = 5;
  const result = await runFixture(
    {
      LK_URL: server.url,
      LK_TOKEN: await recorderToken(server, room),
      LK_TRACKS: `${audio.trackSid},${video.trackSid}`,
      LK_SECONDS: String(seconds),
    },
    (seconds + 20) * 1000,
  );
  console.log(
    `subscriber process, 1 Opus + 1 VP8 640x360@15: ${result.report.cpuCores.toFixed(3)} core, ` +
      `${result.report.rssMb} MB RSS, first RTP ${result.report.firstPacketMs} ms after connect, ` +
      `exit ${result.exitAfterCloseMs} ms after close`,
  );
  expect(result.signal).toBeNull();
  expect(result.code).toBe(0);
  expect(result.report.tracks.sort()).toEqual(['audio/opus', 'video/VP8']);
  expect(result.report.packets).toBeGreaterThan(seconds * 50);
  expect(result.exitAfterCloseMs).toBeLessThan(3_000);
});
