import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '#shared/logger.ts';
import { ManagedProcess, describeExit } from '#shared/managed-process.ts';
import { freePort } from '#shared/ports.ts';

/** A running LiveKit server for tests, bound to loopback only. */
export interface LiveKitServer {
  /** `ws://127.0.0.1:<port>` — what SDKs connect to. */
  readonly url: string;
  /** `http://127.0.0.1:<port>` — for RoomService/Twirp calls. */
  readonly httpUrl: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** The one UDP port all WebRTC media goes through (publishers' and subscribers'). */
  readonly udpPort: number;
  stop(): Promise<void>;
}

/** A server this process started, which it can also crash and start again. */
export interface ManagedLiveKitServer extends LiveKitServer {
  /** SIGKILLs the server (a crash: rooms and participants are gone with it). */
  kill(): Promise<void>;
  /** Starts it again after {@link kill}: the same ports, keys and config, an empty state. */
  restart(): Promise<void>;
}

/** Path of the livekit-server binary that scripts/setup.sh builds. */
export function livekitServerBinary(): string {
  const fromEnv = process.env['LIVEKIT_SERVER_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const cache = process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  return join(process.env['UE_BIN_DIR'] ?? join(cache, 'universal-egress', 'bin'), 'livekit-server');
}

/** A free UDP port on 127.0.0.1 (the server's media and STUN ports; SRT listeners in tests). */
export async function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

export interface StartLiveKitOptions {
  readonly logger?: Logger;
  /** Seconds a room stays open after its last participant leaves. Default 20 (LiveKit's default). */
  readonly departureTimeout?: number;
}

/**
 * Starts the real LiveKit server on random loopback ports with a fresh key pair. ICE candidates are limited
 * to 127.0.0.1 (`use_external_ip: false`, `lo` only), so no media or STUN traffic leaves the machine.
 */
export async function startLiveKitServer(options: StartLiveKitOptions = {}): Promise<ManagedLiveKitServer> {
  const binary = livekitServerBinary();
  if (!existsSync(binary)) {
    throw new Error(`livekit-server not found at ${binary}: run scripts/setup.sh first`);
  }
  // Free ports are picked before the server binds them; another process can take one in between, and the
  // server then exits at once. A fresh set of ports is tried, three times at most.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(binary, options);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof ServerExitedError)) throw err;
      (options.logger ?? createLogger({ component: 'livekit-server' })).warn(
        'livekit-server exited during start; new ports',
        {
          attempt,
        },
      );
    }
  }
}

/** The server exited before it answered: its ports were taken meanwhile. */
class ServerExitedError extends Error {}

async function startOnce(binary: string, options: StartLiveKitOptions): Promise<ManagedLiveKitServer> {
  const logger = options.logger ?? createLogger({ component: 'livekit-server' });
  const [port, tcpPort, udpPort, stunPort] = [
    await freePort(),
    await freePort(),
    await freeUdpPort(),
    await freeUdpPort(),
  ];
  const apiKey = `API${randomBytes(6).toString('hex')}`;
  const apiSecret = randomBytes(24).toString('base64url');
  const dir = await mkdtemp(join(tmpdir(), 'ue-livekit-'));
  const config = [
    `port: ${port}`,
    'bind_addresses: ["127.0.0.1"]',
    'rtc:',
    `  tcp_port: ${tcpPort}`,
    `  udp_port: ${udpPort}`,
    '  use_external_ip: false',
    // Clients otherwise get public STUN servers in the join response; a dead loopback port keeps every
    // ICE agent (rtc-node's included) from sending anything off the machine.
    `  stun_servers: ["127.0.0.1:${stunPort}"]`,
    '  node_ip: 127.0.0.1',
    '  enable_loopback_candidate: true',
    '  interfaces:',
    '    includes: [lo]',
    '  ips:',
    '    includes: [127.0.0.1/32]',
    'room:',
    `  departure_timeout: ${options.departureTimeout ?? 20}`,
    'keys:',
    `  ${apiKey}: ${apiSecret}`,
    'logging:',
    '  level: warn',
    '',
  ].join('\n');
  const configPath = join(dir, 'livekit.yaml');
  await writeFile(configPath, config, { mode: 0o600 });
  const launch = (): ManagedProcess =>
    new ManagedProcess(binary, ['--config', configPath], { name: 'livekit-server', logger });
  let proc = launch();
  const httpUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(httpUrl, proc);
  } catch (err) {
    await proc.stop('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `ws://127.0.0.1:${port}`,
    httpUrl,
    apiKey,
    apiSecret,
    udpPort,
    kill: async () => {
      await proc.stop('SIGKILL');
    },
    restart: async () => {
      proc = launch();
      await waitForHttp(httpUrl, proc);
    },
    stop: async () => {
      // The first SIGTERM drains rooms (it waits for participants); a second one forces the exit.
      proc.child.kill('SIGTERM');
      await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 200))]);
      await proc.stop('SIGTERM', 5_000);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitForHttp(url: string, proc: ManagedProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const exit = proc.exitStatus;
    if (exit !== undefined) throw new ServerExitedError(`livekit-server exited during start (${describeExit(exit)})`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`livekit-server did not answer on ${url} within ${timeoutMs} ms`);
}
