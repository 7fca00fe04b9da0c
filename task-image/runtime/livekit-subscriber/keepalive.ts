/**
 * Signalling keepalive as LiveKit's JoinResponse asks for it: a `PingReq` every `ping_interval` seconds, and
 * the session is considered dead when nothing at all arrives from the server for `ping_timeout` seconds
 * (any message proves the server alive, as LiveKit's own clients treat it).
 */

/** Callbacks and timings of a {@link Keepalive}. */
export interface KeepaliveOptions {
  /** Milliseconds between pings; 0 disables pinging. */
  readonly intervalMs: number;
  /** Milliseconds of silence from the server after which {@link onTimeout} runs; 0 disables the watch. */
  readonly timeoutMs: number;
  /** Sends one ping carrying `timestampMs` and the last measured round trip. */
  readonly sendPing: (timestampMs: number, rttMs: number) => void;
  /** Runs once when the server has been silent for `timeoutMs`. */
  readonly onTimeout: () => void;
  /** Clock, for tests. Default `Date.now`. */
  readonly now?: () => number;
}

/** Ping timer plus silence watchdog; {@link stop} is idempotent and clears both timers. */
export class Keepalive {
  private interval: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastRttMs = 0;
  private readonly now: () => number;

  constructor(private readonly options: KeepaliveOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Last round trip measured from a pong, in milliseconds (0 until the first pong). */
  get rttMs(): number {
    return this.lastRttMs;
  }

  /** Starts pinging and watching. */
  start(): void {
    if (this.stopped) return;
    if (this.options.intervalMs > 0) {
      this.interval = setInterval(() => this.options.sendPing(this.now(), this.lastRttMs), this.options.intervalMs);
      this.interval.unref();
    }
    this.heard();
  }

  /** Call for every message from the server: it proves the server alive and re-arms the watchdog. */
  heard(): void {
    if (this.stopped || this.options.timeoutMs <= 0) return;
    clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      if (this.stopped) return;
      this.stop();
      this.options.onTimeout();
    }, this.options.timeoutMs);
    this.watchdog.unref();
  }

  /** Call with the `last_ping_timestamp` of a `Pong` to measure the round trip. */
  pong(lastPingTimestampMs: number): void {
    const rtt = this.now() - lastPingTimestampMs;
    if (rtt >= 0) this.lastRttMs = rtt;
  }

  /** Clears both timers; later calls do nothing. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.interval);
    clearTimeout(this.watchdog);
  }
}
