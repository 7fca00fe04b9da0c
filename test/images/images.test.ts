/**
 * The slower image suite: builds both task images with buildah (reusing every cached layer; the first run on
 * a machine also makes the local Debian/Node bases) and smoke-runs each inside podman at its Fargate size.
 * Needs root and the image tools, which scripts/setup.sh installs from task-image/debian-packages.txt.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forwarderProblems, runForwarderSmoke } from '../../scripts/images/forwarder-smoke.ts';
import type { ImageKind } from '../../scripts/images/podman.ts';
import { compositeProblems, runCompositeSmoke } from '../../scripts/images/recorder-composite-smoke.ts';
import { recorderProblems, runRecorderSmoke } from '../../scripts/images/recorder-smoke.ts';

const MB = 1_000_000;

interface BuiltImage {
  readonly kind: ImageKind;
  readonly image: string;
  readonly buildSeconds: number;
  readonly bytes: number;
  readonly gzipBytes: number;
}

describe('task images, built and run with podman', () => {
  const built = new Map<ImageKind, BuiltImage>();
  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'ue-images-test-'));
    const report = join(scratch, 'build.jsonl');
    await promisify(execFile)('bash', ['scripts/images/build.sh'], {
      env: { ...process.env, UE_BUILD_REPORT: report },
      maxBuffer: 64 * MB,
      timeout: 15 * 60_000,
    });
    for (const line of (await readFile(report, 'utf8')).trim().split('\n')) {
      const image = JSON.parse(line) as BuiltImage;
      built.set(image.kind, image);
      const mb = (bytes: number): string => `${Math.round(bytes / MB)} MB`;
      console.log(`${image.image}: built in ${image.buildSeconds} s, ${mb(image.bytes)}, ${mb(image.gzipBytes)} gzip`);
    }
  }, 16 * 60_000);

  afterAll(async () => {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  it('keeps the forwarder within its 80 MB gzip target', () => {
    const forwarder = built.get('forwarder');
    expect(forwarder).toBeDefined();
    expect(forwarder!.gzipBytes).toBeLessThanOrEqual(80 * MB);
  });

  it('keeps the recorder under its ceiling (target 350 MB gzip, not reached: see the issue note)', () => {
    const recorder = built.get('recorder');
    expect(recorder).toBeDefined();
    // 359 MB measured (362 before the Bare-runtime modules and the HRTF data went); the files the Dockerfile
    // keeps out (Mesa/LLVM, Quick Sync, …) weigh ≈ 75 MB gzip, so
    // this fails if they come back.
    expect(recorder!.gzipBytes).toBeLessThanOrEqual(370 * MB);
  });

  it.each(['StopEgress', 'SIGTERM'] as const)(
    'forwarder: exports a track to a WebSocket inside the container (0.25 vCPU, 512 MiB), stopped by %s',
    async (stopWith) => {
      const result = await runForwarderSmoke({ recordMs: 5_000, stopWith });
      expect(forwarderProblems(result)).toEqual([]);
      expect(result.container?.image).toBe(built.get('forwarder')?.image);
      expect(result.status).toBe('EGRESS_COMPLETE');
      expect(result.details).toMatch(stopWith === 'StopEgress' ? /StopEgress/ : /killed|signal|SIGTERM/i);
      // SIGTERM reaches node through tini: the outputs are finished and the task exits 0, well inside the
      // task definition's 120 s stopTimeout.
      expect(result.containerExitCode).toBe(0);
      expect(result.stopMs).toBeLessThan(10_000);
      // Stopped after 5 s: the PCM keeps pace with the wall clock.
      expect(result.audioSeconds).toBeGreaterThanOrEqual(4);
      expect(Math.abs(result.streamSeconds - result.audioSeconds)).toBeLessThan(1.5);
      expect(result.silent).toBe(false);
    },
    180_000,
  );

  it.each(['root', 'node'] as const)(
    'recorder: the self-check records a valid MP4 as %s (2 vCPU, 4 GiB, no network)',
    async (user) => {
      const result = await runRecorderSmoke({ user });
      expect(recorderProblems(result)).toEqual([]);
      expect(result.selfCheck?.['msg']).toBe('self-check passed');
      expect(result.selfCheck?.['uid']).toBe(user === 'root' ? 0 : 1000);
      expect(result.probe?.video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
      expect(result.probe?.audio).toMatchObject({ codec: 'aac', sampleRate: 48_000, channels: 2 });
      expect(result.probe?.durationS).toBeGreaterThanOrEqual(2.5);
      expect(result.silent).toBe(false);
      expect(result.freezes).toBe(0);
    },
    180_000,
  );

  it('recorder: records a room composite grid of two participants to MP4 inside the container (2 vCPU, 4 GiB)', async () => {
    const recordMs = 8_000;
    const result = await runCompositeSmoke({ recordMs });
    const { probe, ...figures } = result;
    console.log(JSON.stringify({ ...figures, video: probe?.video, audio: probe?.audio }));
    expect(compositeProblems(result)).toEqual([]);
    expect(result.image).toBe(built.get('recorder')?.image);
    // The size the sizing table gives a room composite ≤ 720p30, enforced on the container.
    expect([result.cpus, result.memory]).toEqual(['2', '4096m']);
    expect(result.container?.memoryLimitMiB).toBe(4096);
    // The image carries its own build of the templates; ACTIVE (the page's start signal) shows the task's
    // template server served them to Chromium inside the container.
    expect(result.templates).toEqual(expect.arrayContaining(['index.html', 'template.js', 'template-style.css']));
    expect(result.status).toBe('EGRESS_COMPLETE');
    expect(result.probe?.video).toMatchObject({ codec: 'h264', width: 1280, height: 720 });
    expect(result.probe?.audio).toMatchObject({ codec: 'aac', channels: 2 });
    expect(result.silent).toBe(false);
    // ACTIVE → ENDING as recorded; the task sees the stop within a 200 ms control poll, then ffmpeg flushes.
    expect(result.wallSeconds).toBeGreaterThanOrEqual(recordMs / 1000);
    expect(Math.abs(result.durationS! - result.wallSeconds)).toBeLessThanOrEqual(0.5);
    expect(result.containerExitCode).toBe(0);
  }, 300_000);

  it('recorder: records a track composite inside the container at its own size, with no browser (1 vCPU, 2 GiB)', async () => {
    const recordMs = 8_000;
    const result = await runCompositeSmoke({ recordMs, source: 'tracks' });
    const { probe, ...figures } = result;
    console.log(JSON.stringify({ ...figures, video: probe?.video, audio: probe?.audio }));
    expect(compositeProblems(result)).toEqual([]);
    expect([result.cpus, result.memory]).toEqual(['1', '2048m']);
    expect(result.container?.memoryLimitMiB).toBe(2048);
    // Decoded by rtc-node in the task's node, encoded by one ffmpeg: no Chromium, no Xvfb, no PulseAudio.
    expect(result.container?.processes).toEqual(expect.arrayContaining(['node', 'ffmpeg']));
    expect(result.container?.processes.filter((name) => /chrom|Xvfb|pulseaudio/i.test(name))).toEqual([]);
    expect(result.status).toBe('EGRESS_COMPLETE');
    expect(Math.abs(result.durationS! - result.wallSeconds)).toBeLessThanOrEqual(0.5);
    expect(result.containerExitCode).toBe(0);
  }, 300_000);
});
