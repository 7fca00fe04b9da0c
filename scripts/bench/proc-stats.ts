import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** CPU seconds (user + system) a process has used so far, from /proc; undefined once it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/** Resident memory of a process in MiB, from /proc; undefined once it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** Summary statistics of a sample. */
export function summarize(values: readonly number[]): {
  n: number;
  min: number;
  p50: number;
  p95: number;
  max: number;
} {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return { n: sorted.length, min: sorted[0] ?? NaN, p50: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? NaN };
}

/** One process as /proc describes it. */
export interface ProcEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly pgrp: number;
  /** CPU seconds (user + system) of the process itself. */
  readonly cpu: number;
  /** CPU seconds of its children that exited and were reaped by it (cutime + cstime). */
  readonly reapedCpu: number;
}

/** Reads /proc/PID/stat; undefined once the process is gone. */
export function readProc(pid: number): ProcEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')': state is [0].
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const n = (i: number): number => Number(f[i]);
    return {
      pid,
      ppid: n(1),
      pgrp: n(2),
      cpu: (n(11) + n(12)) / ticksPerSecond,
      reapedCpu: (n(13) + n(14)) / ticksPerSecond,
    };
  } catch {
    return undefined;
  }
}

/** Every process on the machine that can still be read. */
export function listProcesses(): ProcEntry[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProc(Number(name)))
    .filter((entry): entry is ProcEntry => entry !== undefined);
}

/** Picks the processes to measure out of the whole list. */
export type ProcSelector = (all: readonly ProcEntry[]) => ProcEntry[];

/** `roots` and all their descendants (by parent pid). */
export function descendantsOf(roots: readonly number[], all: readonly ProcEntry[]): ProcEntry[] {
  const children = new Map<number, ProcEntry[]>();
  for (const entry of all) {
    const siblings = children.get(entry.ppid);
    if (siblings === undefined) children.set(entry.ppid, [entry]);
    else siblings.push(entry);
  }
  const picked = all.filter((entry) => roots.includes(entry.pid));
  const seen = new Set(picked.map((entry) => entry.pid));
  // Bounded: a pid is added once (a snapshot torn by pid reuse cannot loop), and the list is finite.
  for (let i = 0; i < picked.length; i++) {
    for (const child of children.get(picked[i]?.pid ?? -1) ?? []) {
      if (!seen.has(child.pid)) {
        seen.add(child.pid);
        picked.push(child);
      }
    }
  }
  return picked;
}

/**
 * The process group led by `leader` (a task: Node, Xvfb, PulseAudio, Chromium, ffmpeg), plus any
 * descendant that moved to a group of its own, so neither a re-grouped child nor an orphan is missed.
 */
export function groupSelector(leader: number): ProcSelector {
  return (all) => {
    const byPid = new Map(descendantsOf([leader], all).map((e) => [e.pid, e]));
    for (const entry of all) if (entry.pgrp === leader) byPid.set(entry.pid, entry);
    return [...byPid.values()];
  };
}

/** Proportional set size of a process in KiB (shared pages split among their users); undefined if gone. */
export function pssKiB(pid: number): number | undefined {
  try {
    const kb = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb);
  } catch {
    return undefined;
  }
}

/** What a process is, from its command line: chromium, Xvfb, pulseaudio, ffmpeg encoder/muxer, node… */
export function processKind(pid: number): string {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return 'gone';
  }
  // Chromium rewrites its children's command lines into one space-separated string.
  const line = argv.join(' ');
  const exe = basename(argv[0]?.split(' ')[0] ?? '');
  if (exe === 'ffmpeg') return line.includes('x11grab') ? 'ffmpeg encoder' : 'ffmpeg muxer';
  if (exe === 'chromium' || exe === 'chrome' || line.includes('/chromium/')) return 'chromium';
  if (exe === 'node' || exe === basename(process.execPath)) return 'node';
  return exe === '' ? 'unknown' : exe;
}

/** A process picked by a selector, with its kind. */
export interface KindedProc extends ProcEntry {
  readonly kind: string;
}

/** The CPU counters of a set of processes at one moment. */
export interface CpuSnapshot {
  /** `performance.now()` when taken. */
  readonly at: number;
  readonly procs: ReadonlyMap<number, KindedProc>;
}

/** Cores a set of processes used over a window, in total and per kind of process. */
export interface GroupCpu {
  readonly cores: number;
  readonly byKind: Readonly<Record<string, number>>;
  /** Processes alive at the end of the window. */
  readonly processes: number;
  readonly seconds: number;
}

const kinds = new Map<number, string>();
const kindOf = (pid: number): string => {
  const known = kinds.get(pid);
  if (known !== undefined) return known;
  const kind = processKind(pid);
  kinds.set(pid, kind);
  return kind;
};

/** The selected processes, each with its kind. */
export function selectProcesses(select: ProcSelector): KindedProc[] {
  return select(listProcesses()).map((entry) => ({ ...entry, kind: kindOf(entry.pid) }));
}

/** The CPU counters of the selected processes, now. */
export function cpuSnapshot(select: ProcSelector): CpuSnapshot {
  const at = performance.now();
  return { at, procs: new Map(selectProcesses(select).map((p) => [p.pid, p])) };
}

/**
 * Cores used between two snapshots. A process alive at both counts its own delta plus its reaped
 * children's delta (a child that started and exited in between, e.g. pactl); a process born in between
 * counts whole. A process that exited in between was reaped into its parent's counter with all its CPU,
 * including what it had used before the window, so that part is taken back off.
 */
export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): GroupCpu {
  const seconds = (b.at - a.at) / 1000;
  const byKind: Record<string, number> = {};
  const add = (kind: string, cpu: number): void => {
    byKind[kind] = (byKind[kind] ?? 0) + cpu;
  };
  for (const end of b.procs.values()) {
    const start = a.procs.get(end.pid);
    add(
      end.kind,
      start === undefined ? end.cpu + end.reapedCpu : end.cpu - start.cpu + end.reapedCpu - start.reapedCpu,
    );
  }
  for (const gone of a.procs.values()) {
    const parent = b.procs.get(gone.ppid);
    if (!b.procs.has(gone.pid) && parent !== undefined) add(parent.kind, -(gone.cpu + gone.reapedCpu));
  }
  const perSecond = Object.fromEntries(Object.entries(byKind).map(([kind, cpu]) => [kind, cpu / seconds]));
  const cores = Object.values(perSecond).reduce((sum, c) => sum + c, 0);
  return { cores, byKind: perSecond, processes: b.procs.size, seconds };
}

/** The largest summed PSS seen, and how it split by kind of process at that moment. */
export interface PssPeak {
  readonly peakMiB: number;
  readonly byKindMiB: Readonly<Record<string, number>>;
  readonly processes: number;
  readonly samples: number;
}

/** Samples the summed PSS of the selected processes every `intervalMs` until `stop`, keeping the peak. */
export function samplePss(select: ProcSelector, intervalMs = 1_000): { stop(): PssPeak } {
  let peak: PssPeak = { peakMiB: 0, byKindMiB: {}, processes: 0, samples: 0 };
  let samples = 0;
  const sample = (): void => {
    samples += 1;
    const byKind: Record<string, number> = {};
    const procs = selectProcesses(select);
    for (const proc of procs) byKind[proc.kind] = (byKind[proc.kind] ?? 0) + (pssKiB(proc.pid) ?? 0) / 1024;
    const total = Object.values(byKind).reduce((sum, m) => sum + m, 0);
    if (total > peak.peakMiB) peak = { peakMiB: total, byKindMiB: byKind, processes: procs.length, samples };
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return { ...peak, samples };
    },
  };
}

/** When a measurement's steady window lies, in `performance.now()` milliseconds. */
export interface MeasureWindow {
  /** The start of the recording (ACTIVE, or the encoder's first bytes). */
  readonly from: number;
  /** Left out of the CPU window after `from`. */
  readonly warmupMs: number;
  /** The end of the window, after `from`. */
  readonly untilMs: number;
}

/**
 * Samples PSS from now until the window ends and measures CPU over the window, calling `mark` (e.g. to
 * read other counters) at both of its edges.
 */
export async function measureGroup<T>(
  select: ProcSelector,
  window: MeasureWindow,
  mark: () => Promise<T>,
): Promise<{ cpu: GroupCpu; pss: PssPeak; marks: readonly [T, T] }> {
  const waitUntil = (ms: number): Promise<void> =>
    new Promise((r) => setTimeout(r, Math.max(0, window.from + ms - performance.now())));
  const pss = samplePss(select);
  try {
    await waitUntil(window.warmupMs);
    const before = cpuSnapshot(select);
    const first = await mark();
    await waitUntil(window.untilMs);
    const after = cpuSnapshot(select);
    const second = await mark();
    return { cpu: cpuBetween(before, after), pss: pss.stop(), marks: [first, second] };
  } finally {
    pss.stop();
  }
}
