import { loadavg } from 'node:os';
import { join } from 'node:path';
import { EgressStatus, EncodedFileOutput, EncodingOptionsPreset, type EgressInfo } from '@livekit/protocol';
import { readEncoding, toEncodingPlan, type EncodingPlan } from '#domain/request/encoding.ts';
import { distinctFramesPerSecond } from '#bench/distinct-frames.ts';
import type { LiveKitServer } from '#bench/livekit-server.ts';
import { waitForStatus, type LocalFixture } from '#bench/local-fixture.ts';
import { mediaDuration, probe } from '#bench/media-check.ts';
import { videoSendCounters, videoSendRate, type VideoSendRate } from '#bench/published-bitrate.ts';
import { startSyntheticPublisher, type SyntheticPublisher } from '#bench/synthetic-publisher.ts';
import type { Logger } from '#shared/logger.ts';
import { benchCaptureFloor, prepareFloorPage, type FloorPage, type FloorResult } from './capture-floor.ts';
import { msOf, stopAndWait, taskGone, taskOf } from './egress-runs.ts';
import { groupSelector, measureGroup, summarize, type GroupCpu, type PssPeak } from './proc-stats.ts';

/** How long and how often the composite egress is measured. */
export interface CompositeBenchOptions {
  /** Seconds from ACTIVE to the stop call of the measured run (the floor records as long). */
  readonly seconds: number;
  /** Seconds after ACTIVE left out of the CPU window. */
  readonly warmupSeconds: number;
  /** Starts per preset for the latency figure: the first is the measured recording, the rest stop at ACTIVE. */
  readonly runs: number;
  readonly logger: Logger;
}

/** What the composite's output file shows. */
export interface CompositeOutputCheck {
  readonly durationS: number;
  /** From the ACTIVE record's updated_at to the ENDING record's (the stop call). */
  readonly activeToStopS: number;
  /** ffprobe's avg_frame_rate of the video stream. */
  readonly containerFps: number;
  /** Frames decoded per second of duration (`-count_frames`). */
  readonly decodedFps: number;
  /** Frames that survive mpdecimate per second: pictures that really changed. */
  readonly distinctFps: number;
  /** Whole file (video + audio) over its duration. */
  readonly fileKbps: number;
}

/** One preset: the egress measured, and the capture floor at the same size. */
export interface CompositePresetResult {
  readonly preset: string;
  readonly width: number;
  readonly height: number;
  readonly startLatencyMs: ReturnType<typeof summarize>;
  /** Every process of the task's group over the steady window: cores busy (CPU s per wall s). */
  readonly cpu: GroupCpu;
  /**
   * CPU seconds per second of media written: `cpu.cores` × (ACTIVE → stop) / output duration. The same as
   * `cpu.cores` while the encoder keeps up with real time; more when it falls behind.
   */
  readonly cpuPerMediaSecond: number;
  readonly pss: PssPeak;
  readonly output: CompositeOutputCheck;
  /** What each publisher sent over the CPU window. */
  readonly published: readonly VideoSendRate[];
  readonly floor: FloorResult;
  /** Composite CPU per media-second / floor CPU per media-second. */
  readonly overFloor: number;
}

/** The room composite section of the bench. */
export interface RoomCompositeBench {
  readonly publishers: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Bitrate of the floor's local VP8 clips, kbps. */
  readonly floorClipKbps: number;
  /** 1, 5 and 15 minute load averages at the start and the end of the section. */
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  readonly presets: readonly CompositePresetResult[];
}

const room = 'bench-composite';
const publisherKbps = 1500;
/** A preset the section measures; `undefined` leaves the request's encoding unset (LiveKit's default). */
interface PresetChoice {
  readonly name: string;
  readonly preset: EncodingOptionsPreset | undefined;
}
const presets: readonly PresetChoice[] = [
  { name: 'H264_720P_30 (default)', preset: undefined },
  { name: 'H264_1080P_30', preset: EncodingOptionsPreset.H264_1080P_30 },
];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Room composite egress, grid layout, two publishers of moving VP8 640x360 video (one with audio), at
 * 720p30 and 1080p30: start latency, CPU and PSS of every process of the egress, frames that really
 * changed, duration against the wall clock; then the capture floor at the same size for comparison.
 */
export async function benchRoomComposite(
  livekit: LiveKitServer,
  local: LocalFixture,
  options: CompositeBenchOptions,
): Promise<RoomCompositeBench> {
  const start = loadavg();
  const page = await prepareFloorPage();
  const publishers: SyntheticPublisher[] = [];
  try {
    const join = { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret, room };
    const video = { codec: 'vp8', width: 640, height: 360, bitrateKbps: publisherKbps } as const;
    const maxDurationMs = 30 * 60_000;
    publishers.push(await startSyntheticPublisher({ ...join, identity: 'cam-a', audio: true, video, maxDurationMs }));
    publishers.push(await startSyntheticPublisher({ ...join, identity: 'cam-b', video, maxDurationMs }));
    // The senders' bandwidth estimate ramps up over the first seconds.
    await sleep(5_000);
    const results: CompositePresetResult[] = [];
    for (const preset of presets) results.push(await benchPreset(local, publishers, page, preset, options));
    return {
      publishers: publishers.length,
      seconds: options.seconds,
      warmupSeconds: options.warmupSeconds,
      floorClipKbps: page.clipKbps,
      loadAverage: { start, end: loadavg() },
      presets: results,
    };
  } finally {
    await Promise.all(publishers.map((p) => p.stop()));
    await page.remove();
  }
}

async function benchPreset(
  local: LocalFixture,
  publishers: readonly SyntheticPublisher[],
  page: FloorPage,
  preset: PresetChoice,
  options: CompositeBenchOptions,
): Promise<CompositePresetResult> {
  const encoding = encodingOf(preset.preset);
  options.logger.info('room composite: measured run', { preset: preset.name });
  const measured = await measuredRun(local, publishers, preset, options);
  const latencies = [measured.latencyMs];
  for (let i = 1; i < options.runs; i++) latencies.push(await latencyRun(local, preset, i));
  options.logger.info('room composite: capture floor', { preset: preset.name });
  const floor = await benchCaptureFloor(page, {
    encoding,
    seconds: options.seconds,
    warmupSeconds: options.warmupSeconds,
    logger: options.logger,
  });
  const { output } = measured;
  const cpuPerMediaSecond = (measured.cpu.cores * output.activeToStopS) / output.durationS;
  return {
    preset: preset.name,
    width: encoding.width,
    height: encoding.height,
    startLatencyMs: summarize(latencies),
    cpu: measured.cpu,
    cpuPerMediaSecond,
    pss: measured.pss,
    output: measured.output,
    published: measured.published,
    floor,
    overFloor: cpuPerMediaSecond / floor.cpuPerMediaSecond,
  };
}

/** The encoder settings the task derives for a file output at this preset (the floor uses the same). */
function encodingOf(preset: EncodingOptionsPreset | undefined): EncodingPlan {
  const settings = readEncoding(preset === undefined ? { case: undefined } : { case: 'preset', value: preset });
  if (settings === 'passthrough') throw new Error('a composite preset cannot be passthrough');
  return toEncodingPlan(settings, 'aac', undefined);
}

function startComposite(local: LocalFixture, preset: PresetChoice, name: string): Promise<EgressInfo> {
  return local.client.startRoomCompositeEgress(room, new EncodedFileOutput({ filepath: `bench-composite/${name}` }), {
    layout: 'grid',
    ...(preset.preset === undefined ? {} : { encodingOptions: preset.preset }),
  });
}

async function measuredRun(
  local: LocalFixture,
  publishers: readonly SyntheticPublisher[],
  preset: PresetChoice,
  options: CompositeBenchOptions,
): Promise<{
  latencyMs: number;
  cpu: GroupCpu;
  pss: PssPeak;
  output: CompositeOutputCheck;
  published: VideoSendRate[];
}> {
  const t0 = Date.now();
  const info = await startComposite(local, preset, `${preset.preset ?? 'default'}-measured`);
  let stopped = false;
  let taskId: string | undefined;
  try {
    const active = await waitForStatus(local.client, info.egressId, EgressStatus.EGRESS_ACTIVE, 30_000);
    const task = await taskOf(local, info.egressId);
    taskId = task.taskId;
    // ACTIVE's updated_at is epoch time; the window is kept on the monotonic clock from the same moment.
    const from = performance.now() - (Date.now() - msOf(active.updatedAt));
    const window = { from, warmupMs: options.warmupSeconds * 1000, untilMs: options.seconds * 1000 };
    const mark = (): Promise<Awaited<ReturnType<typeof videoSendCounters>>[]> =>
      Promise.all(publishers.map((p) => videoSendCounters(p.room)));
    const { cpu, pss, marks } = await measureGroup(groupSelector(task.pid), window, mark);
    const { stopping, done } = await stopAndWait(local, info.egressId, task.taskId);
    stopped = true;
    const result = done.fileResults[0];
    if (result === undefined) throw new Error(`${info.egressId} completed without a file`);
    const activeToStopS = (msOf(stopping.updatedAt) - msOf(active.updatedAt)) / 1000;
    const output = await checkOutput(join(local.outputDir, result.filename), Number(result.size), activeToStopS);
    const published = publishers.map((_, i) => videoSendRate(marks[0][i]!, marks[1][i]!));
    return { latencyMs: msOf(active.updatedAt) - t0, cpu, pss, output, published };
  } finally {
    // A failed measurement must not leave the egress recording (nor the next run sharing the machine).
    if (!stopped) await local.client.stopEgress(info.egressId).catch(() => undefined);
    if (!stopped && taskId !== undefined) await taskGone(local, taskId);
  }
}

/** One more start, for the latency figure only: stopped as soon as it is ACTIVE. */
async function latencyRun(local: LocalFixture, preset: PresetChoice, i: number): Promise<number> {
  const t0 = Date.now();
  const info = await startComposite(local, preset, `${preset.preset ?? 'default'}-start-${i}`);
  let stopped = false;
  try {
    const active = await waitForStatus(local.client, info.egressId, EgressStatus.EGRESS_ACTIVE, 30_000);
    const task = await taskOf(local, info.egressId);
    await stopAndWait(local, info.egressId, task.taskId);
    stopped = true;
    return msOf(active.updatedAt) - t0;
  } finally {
    if (!stopped) await local.client.stopEgress(info.egressId).catch(() => undefined);
  }
}

async function checkOutput(file: string, size: number, activeToStopS: number): Promise<CompositeOutputCheck> {
  const probed = await probe(file);
  const durationS = probed.durationS ?? (await mediaDuration(file));
  const distinct = await distinctFramesPerSecond(file);
  return {
    durationS,
    activeToStopS,
    containerFps: probed.video?.avgFps ?? Number.NaN,
    decodedFps: (probed.video?.framesCounted ?? Number.NaN) / durationS,
    distinctFps: distinct.fps,
    fileKbps: (size * 8) / durationS / 1000,
  };
}
