import { createWriteStream, existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '#shared/logger.ts';
import { ManagedProcess, describeExit } from '#shared/managed-process.ts';
import { freePort } from '#shared/ports.ts';

/** Debian's nginx-rtmp module (libnginx-mod-rtmp). */
const rtmpModule = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
const startTimeoutMs = 10_000;

/** Options of a test RTMP server. */
export interface RtmpServerOptions {
  /** Application names it accepts (`live on; record off`); any other app is refused ("application not found"). */
  readonly apps: readonly string[];
  /** Record every publish as FLV into {@link RtmpServer.recordDir} (`record all`, one file per publish). */
  readonly record?: boolean;
  readonly logger?: Logger;
}

/** A running nginx-rtmp on 127.0.0.1, with its own config and prefix folder. */
export interface RtmpServer {
  readonly port: number;
  /** Where publishes are recorded (`<key>-<unix time>.flv`), when `record` was set. */
  readonly recordDir: string | undefined;
  /** `rtmp://127.0.0.1:<port>/<app>/<key>`. */
  url(app: string, key: string): string;
  /** Recorded files of `key`, oldest first (full paths). */
  recordings(key: string): Promise<string[]>;
  /** Whether nginx is running now. */
  readonly running: boolean;
  /** Stops nginx: every publisher and player connection is closed at once. Idempotent. */
  stop(): Promise<void>;
  /** Starts nginx again on the same port (after {@link stop}, for outage tests). */
  restart(): Promise<void>;
  /** Stops nginx and deletes its folder. */
  close(): Promise<void>;
}

function config(dir: string, port: number, options: RtmpServerOptions): string {
  const record =
    options.record === true ? `record all; record_path ${join(dir, 'record')}; record_unique on;` : 'record off;';
  const apps = options.apps.map(
    (app) =>
      `    application ${app} { live on; ${record} allow publish 127.0.0.1; deny publish all; allow play 127.0.0.1; deny play all; }`,
  );
  return [
    `load_module ${rtmpModule};`,
    // One process: a SIGKILL (the parent's exit handler) cannot orphan a worker holding the port.
    'daemon off;',
    'master_process off;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} info;`,
    'events { worker_connections 256; }',
    'rtmp {',
    `  server { listen 127.0.0.1:${port}; chunk_size 4096;`,
    ...apps,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Resolves once 127.0.0.1:`port` accepts a TCP connection; rejects after `timeoutMs` or if nginx exits. */
async function waitForPort(port: number, proc: ManagedProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitStatus !== undefined) throw new Error(`nginx exited at start (${describeExit(proc.exitStatus)})`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx-rtmp did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/**
 * Starts Debian's nginx with the RTMP module on a free loopback port: its own config and prefix folder under
 * the temp dir, nothing system-wide. nginx-rtmp cannot stop accepting one application alone, so an outage
 * test runs two servers and stops one.
 */
export async function startRtmpServer(options: RtmpServerOptions): Promise<RtmpServer> {
  if (!existsSync(rtmpModule)) throw new Error(`${rtmpModule} not found: install libnginx-mod-rtmp (scripts/setup.sh)`);
  const logger = options.logger ?? createLogger({ component: 'rtmp-server' });
  const dir = await mkdtemp(join(tmpdir(), 'ue-rtmp-'));
  const recordDir = options.record === true ? join(dir, 'record') : undefined;
  if (recordDir !== undefined) {
    await mkdir(recordDir);
    // nginx drops to `nobody` when it runs as root with a master process; without one it stays, but the
    // folder is opened up either way so either user can write.
    await chmod(recordDir, 0o777);
  }
  const port = await freePort();
  const confPath = join(dir, 'nginx.conf');
  await writeFile(confPath, config(dir, port, options));
  let proc: ManagedProcess | undefined;

  const start = async (): Promise<void> => {
    const started = new ManagedProcess('nginx', ['-c', confPath, '-p', `${dir}/`, '-e', join(dir, 'error.log')], {
      name: `nginx-rtmp :${port}`,
      logger,
    });
    proc = started;
    try {
      await waitForPort(port, started, startTimeoutMs);
    } catch (err) {
      await started.stop('SIGKILL');
      throw err;
    }
  };
  const stop = async (): Promise<void> => {
    // SIGTERM is nginx's fast shutdown: connections are closed, not drained.
    await proc?.stop('SIGTERM', 3_000);
  };
  await start();
  return {
    port,
    recordDir,
    url: (app, key) => `rtmp://127.0.0.1:${port}/${app}/${key}`,
    recordings: async (key) => {
      if (recordDir === undefined) return [];
      const names = (await readdir(recordDir)).filter((n) => n.startsWith(`${key}-`) && n.endsWith('.flv'));
      const stamp = (n: string): number => Number(n.slice(key.length + 1, -4));
      return names.sort((a, b) => stamp(a) - stamp(b)).map((n) => join(recordDir, n));
    },
    get running() {
      return proc !== undefined && proc.exitStatus === undefined;
    },
    stop,
    restart: async () => {
      await stop();
      await start();
    },
    close: async () => {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A running {@link startRtmpPlayer}. */
export interface RtmpPlayer {
  /** Longest wait between two chunks of received bytes so far (ms): a stall of the stream shows here. */
  readonly maxArrivalGapMs: number;
  /** Resolves once the player has ended and its file is closed. */
  readonly done: Promise<void>;
  readonly exitCode: number | null | undefined;
  stop(): Promise<void>;
}

/**
 * Plays `url` with ffmpeg (stream copy) and writes `seconds` of it to `file` as FLV, noting when bytes
 * arrive. It ends by itself after `seconds`: once it is reading, a single SIGTERM does not interrupt
 * ffmpeg's blocking read, and nginx-rtmp keeps an idle player connected after the publisher left.
 */
export function startRtmpPlayer(url: string, options: { seconds: number; file: string; logger?: Logger }): RtmpPlayer {
  // A joining player gets video from the next keyframe: 3 s of probing finds both tracks at a 2 s GOP.
  const args = ['-hide_banner', '-nostats', '-loglevel', 'error', '-analyzeduration', '3000000', '-i', url];
  args.push('-t', String(options.seconds), '-map', '0', '-c', 'copy', '-f', 'flv', 'pipe:1');
  const proc = new ManagedProcess('ffmpeg', args, {
    name: 'ffmpeg rtmp player',
    logger: options.logger ?? createLogger({ component: 'rtmp-player' }),
    rawStdout: true,
  });
  const out = createWriteStream(options.file);
  let last: number | undefined;
  let maxGap = 0;
  proc.child.stdout?.on('data', (chunk: Buffer) => {
    const now = Date.now();
    if (last !== undefined) maxGap = Math.max(maxGap, now - last);
    last = now;
    out.write(chunk);
  });
  const done = proc.exited.then(() => new Promise<void>((resolve) => out.end(() => resolve())));
  return {
    get maxArrivalGapMs() {
      return maxGap;
    },
    done,
    get exitCode() {
      return proc.exitStatus?.code;
    },
    stop: async () => {
      await proc.stop('SIGKILL');
      await done;
    },
  };
}
