import type { EgressInfo } from '@livekit/protocol';
import type { EgressError } from '#domain/errors.ts';
import type { EgressPlan } from '#domain/request/plan.ts';
import type { StoredRequest } from '#domain/egress-record.ts';
import type { Logger } from '#shared/logger.ts';
import type { StorageResolver } from '../outputs/storage-resolver.ts';

/** A change to the egress's public info (results, stream state), applied by the status reporter. */
export type InfoPatch = (info: EgressInfo) => void;

/** LiveKit's end reasons, recorded as `details: "End reason: <reason>"`. */
export type EndReason =
  'StopEgress API' | 'Source closed' | 'Process killed' | 'All streams stopped' | 'Session limit reached' | 'Aborted';

/** What a pipeline gets from the session that runs it. */
export interface PipelineContext {
  readonly egressId: string;
  readonly plan: EgressPlan;
  readonly request: StoredRequest;
  readonly logger: Logger;
  /** LiveKit server URL and the recorder's join token. */
  readonly livekitUrl: string;
  readonly token: string;
  /** How long a broken room connection is resumed or rejoined before the egress ends, ms. */
  readonly reconnectWindowMs: number;
  /** Output storage: an output's own S3Upload, or the deployment's default (bucket or local folder). */
  readonly storage: StorageResolver;
  /**
   * Call once, when the first media has been written to an output: the egress becomes ACTIVE, as of
   * `atMs` when given (the moment of that media; else when the record is written).
   */
  readonly onActive: (patch?: InfoPatch, atMs?: number) => void;
  /** Results changed while running (stream started/failed…). */
  readonly onUpdate: (patch: InfoPatch) => void;
  /** The pipeline has begun to end by itself (source closed…): the egress becomes ENDING. */
  readonly onEnding: (reason: EndReason) => void;
}

/** How a pipeline ended when it did not fail. */
export interface PipelineEnd {
  readonly reason: EndReason;
  /** Final results (file/stream results, durations). */
  readonly patch: InfoPatch;
  /**
   * Set when the outputs were finalised but the egress still failed (the room connection was lost and not
   * got back): FAILED with this error, the results kept.
   */
  readonly failure?: EgressError;
}

/**
 * Source → pipeline → sinks for one egress. `run` resolves when every output is finished and uploaded, and
 * rejects with an `EgressError` when the egress fails; it cleans up everything it started on every path.
 */
export interface Pipeline {
  run(): Promise<PipelineEnd>;
  /**
   * Asks for a graceful end: outputs are finished, not cut off. Idempotent; the first reason wins. `atMs`
   * (epoch ms) is when the stop was asked for (StopEgress): pipelines that can end their files at that
   * time do, rather than when the task learnt of it.
   */
  stop(reason: EndReason, atMs?: number): void;
  /** UpdateStream: the stream URLs the egress should now publish to (pipelines with stream outputs). */
  updateStreamUrls?(urls: readonly string[]): void;
}

/** How long a track may take to appear in the room before the egress fails 404 (LiveKit: 30 s). */
export const trackWaitMs = 30_000;

/** The stop half of every pipeline: the first reason wins, and an abort signal tells every wait. */
export abstract class StoppablePipeline implements Pipeline {
  protected readonly stopping = new AbortController();
  protected stopReason: EndReason | undefined;
  /** When the stop that won was asked for, if it said (epoch ms). */
  protected stopAtMs: number | undefined;

  abstract run(): Promise<PipelineEnd>;

  stop(reason: EndReason, atMs?: number): void {
    if (this.stopReason !== undefined) return;
    this.stopReason = reason;
    this.stopAtMs = atMs;
    this.stopping.abort();
  }

  /** Resolves once {@link stop} has been called (at once if it already was). */
  protected stopped(): Promise<void> {
    if (this.stopping.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
  }
}
