import { isTerminal } from '#domain/status.ts';
import type { EgressStore } from '#ports/egress-store.ts';
import type { Logger } from '#shared/logger.ts';

export interface ControlHandlers {
  /** StopEgress was called, at `atMs` (epoch ms, the API's clock). */
  readonly onStop: (atMs: number) => void;
  /** The record ended without this task (aborted by the API, failed by the reconciler). */
  readonly onEnded: () => void;
  /** The desired stream URLs changed (UpdateStream). */
  readonly onStreamUrls?: (urls: readonly string[]) => void;
}

/**
 * How often a task reads its record for desired state. Bounds how late a stop takes effect (what a file
 * records past StopEgress); on DynamoDB it costs 5 eventually consistent reads a second per task.
 */
export const controlPollMs = 200;

/**
 * Polls the record for desired state (design decision 10: control goes through the table, never through an
 * inbound port on the task). Each handler fires at most once per change.
 */
export class ControlPoller {
  private timer: NodeJS.Timeout | undefined;
  private stopSeen = false;
  private endedSeen = false;
  private lastUrls: string | undefined;
  private inFlight = false;

  constructor(
    private readonly store: EgressStore,
    private readonly egressId: string,
    private readonly handlers: ControlHandlers,
    private readonly logger: Logger,
    private readonly intervalMs = controlPollMs,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.poll(), this.intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async poll(): Promise<void> {
    // A slow store must not pile up overlapping reads.
    if (this.inFlight) return;
    this.inFlight = true;
    try {
      const record = await this.store.get(this.egressId, { consistent: false });
      if (record === undefined) return;
      if (isTerminal(record.info.status) && !this.endedSeen) {
        this.endedSeen = true;
        this.handlers.onEnded();
      } else if (record.desired.stop !== undefined && !this.stopSeen) {
        this.stopSeen = true;
        this.handlers.onStop(record.desired.stop.at);
      }
      const urls = record.desired.streamUrls;
      if (urls !== undefined && this.handlers.onStreamUrls !== undefined) {
        const key = JSON.stringify(urls);
        if (key !== this.lastUrls) {
          this.lastUrls = key;
          this.handlers.onStreamUrls(urls);
        }
      }
    } catch (err) {
      this.logger.warn('control poll failed', { err });
    } finally {
      this.inFlight = false;
    }
  }
}
