import type { GroupCpu } from './proc-stats.ts';
import type { CompositePresetResult, RoomCompositeBench } from './room-composite.ts';

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
/** PSS is read in KiB; the target is in MB. */
const mb = (mib: number): string => `${fmt((mib * 1024 * 1024) / 1e6)} MB`;

/** The kinds of process in the order a reader follows the media, then anything else. */
const kindOrder = ['node', 'chromium', 'Xvfb', 'pulseaudio', 'ffmpeg encoder', 'ffmpeg muxer'];

function byKind(cpu: GroupCpu): string {
  const kinds = [
    ...kindOrder.filter((k) => k in cpu.byKind),
    ...Object.keys(cpu.byKind).filter((k) => !kindOrder.includes(k)),
  ];
  return kinds.map((k) => `${k} ${fmt(cpu.byKind[k] ?? Number.NaN, 3)}`).join(' · ');
}

/** Prints the room composite section as a markdown table, one column per preset. */
export function printRoomComposite(bench: RoomCompositeBench): void {
  const p = bench.presets;
  const row = (label: string, cell: (r: CompositePresetResult) => string, target = ''): void => {
    console.log(`| ${label} | ${p.map(cell).join(' | ')} | ${target} |`);
  };
  const [load1, load5, load15] = bench.loadAverage.start;
  const [end1, end5, end15] = bench.loadAverage.end;
  console.log('');
  console.log(
    `| Room composite, grid, ${bench.publishers} publishers, ${bench.seconds} s (CPU window: ${bench.seconds - bench.warmupSeconds} s after ${bench.warmupSeconds} s) | ${p.map((r) => `${r.width}x${r.height}`).join(' | ')} | target |`,
  );
  console.log(`| --- | ${p.map(() => '---').join(' | ')} | --- |`);
  row(
    'published video per publisher (VP8, over the window)',
    (r) =>
      r.published
        .map((v) => `${fmt(v.kbps)} kbps ${fmt(v.fps, 1)} fps ${v.width ?? '?'}x${v.height ?? '?'}`)
        .join(', '),
    '1000–1500 kbps',
  );
  row(
    `start latency, API call → ACTIVE, p50 / max (n=${p[0]?.startLatencyMs.n ?? 0})`,
    (r) => `${fmt(r.startLatencyMs.p50)} / ${fmt(r.startLatencyMs.max)} ms`,
    '≤ 2500 ms',
  );
  row(
    'CPU per media-second, every process of the egress',
    (r) => `**${fmt(r.cpuPerMediaSecond, 3)} core** (${r.cpu.processes} processes)`,
    '≤ 0.6 core',
  );
  row('CPU per wall-second (cores busy over the window)', (r) => `${fmt(r.cpu.cores, 3)} core`);
  row('CPU by process kind', (r) => byKind(r.cpu));
  row('distinct frames per second (mpdecimate)', (r) => fmt(r.output.distinctFps, 1), '≥ 28');
  row(
    'ffprobe fps (avg_frame_rate) / decoded frames per second',
    (r) => `${fmt(r.output.containerFps, 2)} / ${fmt(r.output.decodedFps, 2)}`,
  );
  row('memory, peak PSS summed over the group (sampled each second)', (r) => mb(r.pss.peakMiB), '≤ 600 MB');
  row('PSS by process kind at the peak', (r) =>
    Object.entries(r.pss.byKindMiB)
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(' · '),
  );
  row(
    'output duration vs ACTIVE → stop',
    (r) =>
      `${fmt(r.output.durationS, 2)} s vs ${fmt(r.output.activeToStopS, 2)} s (${fmt(r.output.durationS - r.output.activeToStopS, 2)} s)`,
    '± 0.5 s',
  );
  row('output file bitrate (H.264 + AAC)', (r) => `${fmt(r.output.fileKbps)} kbps`);
  row(
    `capture floor CPU: local VP8 tiles (${fmt(bench.floorClipKbps)} kbps clips), same stack and encoder, no WebRTC`,
    (r) => `${fmt(r.floor.cpuPerMediaSecond, 3)} core per media-second (${fmt(r.floor.cpu.cores, 3)} busy)`,
  );
  row('capture floor CPU by process kind', (r) => byKind(r.floor.cpu));
  row('capture floor peak PSS / distinct fps', (r) => `${mb(r.floor.pss.peakMiB)} / ${fmt(r.floor.distinctFps, 1)}`);
  row(
    'capture floor output vs encoder wall time',
    (r) => `${fmt(r.floor.mediaSeconds, 2)} s vs ${fmt(r.floor.wallSeconds, 2)} s`,
  );
  row('composite CPU / capture floor CPU (per media-second)', (r) => `${fmt(r.overFloor, 2)}×`);
  printNotes(bench);
  console.log(
    `\n[bench] load average (1/5/15 min): ${fmt(load1 ?? NaN, 2)} ${fmt(load5 ?? NaN, 2)} ${fmt(load15 ?? NaN, 2)} at the start, ` +
      `${fmt(end1 ?? NaN, 2)} ${fmt(end5 ?? NaN, 2)} ${fmt(end15 ?? NaN, 2)} at the end of the composite section`,
  );
}

/** Says in words what a figure alone would hide: an encoder behind real time, fewer pictures than frames. */
function printNotes(bench: RoomCompositeBench): void {
  for (const r of bench.presets) {
    const size = `${r.width}x${r.height}`;
    const behind = r.output.activeToStopS - r.output.durationS;
    if (behind > 0.5) {
      console.log(
        `[bench] note: the ${size} file is ${fmt(behind, 1)} s shorter than ACTIVE → stop: the encoder fell behind ` +
          'real time and the frames still queued at the stop were lost (the peak PSS grows with that queue)',
      );
    }
    const sent = Math.min(...r.published.map((v) => v.fps));
    if (r.output.distinctFps < 28) {
      console.log(
        `[bench] note: ${size} has ${fmt(r.output.distinctFps, 1)} distinct fps of ${fmt(r.output.containerFps, 1)} ` +
          `written; the publishers sent ${fmt(sent, 1)} fps and the floor painted ${fmt(r.floor.distinctFps, 1)} distinct fps`,
      );
    }
  }
}
