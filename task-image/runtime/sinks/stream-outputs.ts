import type { StreamInfo } from '@livekit/protocol';
import { EgressError } from '#domain/errors.ts';
import type { StreamUrl } from '#domain/request/stream-url.ts';
import type { Logger } from '#shared/logger.ts';
import type { InfoPatch } from '../pipelines/pipeline.ts';
import type { EncodedFanout } from './encoded-fanout.ts';
import { StreamEntry } from './stream-outputs-entry.ts';
import type { HostResolver, StreamSinkProtocol } from './stream-sink-args.ts';

/** Why no stream output is left: every remaining one failed, or UpdateStream removed the last one. */
export type NoStreamsLeft = { readonly reason: 'failed'; readonly error: EgressError } | { readonly reason: 'removed' };

/** What {@link StreamOutputs} needs. */
export interface StreamOutputsOptions {
  /** The encoder's hub; every connection attempt is added to it as its own sink. */
  readonly fanout: EncodedFanout;
  readonly protocol: StreamSinkProtocol;
  readonly logger: Logger;
  /** Stream results changed (a stream published, retried, failed or was removed). */
  readonly onUpdate: (patch: InfoPatch) => void;
  /**
   * No stream is live any more, after at least one was: `failed` (LiveKit: the egress fails 503 when it has
   * no other output) or `removed` (LiveKit: EOS, "All streams stopped"). Not called by finish/abort.
   */
  readonly onNoneLeft?: (event: NoStreamsLeft) => void;
  /** @default the system resolver */
  readonly resolve?: HostResolver;
}

/** One stream's state beyond its `StreamInfo`, for logs and checks. */
export interface StreamState {
  readonly info: StreamInfo;
  /** An attempt is publishing right now (false while reconnecting). */
  readonly publishing: boolean;
  readonly bytesSent: number;
}

/**
 * Every URL of an egress's stream output (RTMP or SRT), each on its own: one failing never touches the
 * others. `setUrls` applies the request's and UpdateStream's URL lists; results go out through `onUpdate`
 * as a patch that sets `streamResults` to every URL ever used (failed and removed ones included).
 *
 * Updates are held back while a newly added stream has neither published nor failed (LiveKit does the
 * same), so one update reports all of an UpdateStream's outcomes.
 */
export class StreamOutputs {
  private readonly entries: StreamEntry[] = [];
  /** Entries of the URLs in the current list, by secret URL (failed ones stay until the URL is removed). */
  private readonly current = new Map<string, StreamEntry>();
  private closing = false;

  constructor(private readonly options: StreamOutputsOptions) {}

  /** Streams not yet FINISHED or FAILED. */
  get liveCount(): number {
    return this.entries.filter((e) => e.live).length;
  }

  /** A copy of every stream's result, in the order the URLs were added. */
  get streams(): readonly StreamInfo[] {
    return this.entries.map((e) => e.info.clone());
  }

  /** Every stream's result and connection state. */
  states(): readonly StreamState[] {
    return this.entries.map((e) => ({ info: e.info.clone(), publishing: e.publishing, bytesSent: e.bytesSent }));
  }

  /**
   * Makes `urls` the stream output's URL list: each new URL starts publishing; each URL no longer listed is
   * finished (FINISHED). A URL listed again after it was removed is a new stream.
   */
  setUrls(urls: readonly StreamUrl[]): void {
    if (this.closing) {
      this.options.logger.warn('stream urls changed after the stream output ended; ignored');
      return;
    }
    const wanted = new Map(urls.map((u) => [u.url, u]));
    let removedLive = false;
    let changed = false;
    for (const [url, entry] of this.current) {
      if (wanted.has(url)) continue;
      this.current.delete(url);
      removedLive ||= entry.live;
      changed = true;
      this.options.logger.info('stream removed', { url: entry.target.redactedUrl });
      // FINISHED at once; the publisher flushes in the background and finish() waits for it.
      void entry.finish(true);
    }
    for (const [url, target] of wanted) {
      if (this.current.has(url)) continue;
      changed = true;
      this.add(target);
    }
    if (changed) this.emit();
    if (removedLive && this.liveCount === 0) this.options.onNoneLeft?.({ reason: 'removed' });
  }

  private add(target: StreamUrl): void {
    this.options.logger.info('stream added', { url: target.redactedUrl });
    const entry = new StreamEntry(target, {
      fanout: this.options.fanout,
      protocol: this.options.protocol,
      logger: this.options.logger.child({ stream: target.redactedUrl }),
      resolve: this.options.resolve,
      changed: () => this.emit(),
      failed: (_entry, err) => this.failed(err),
    });
    this.entries.push(entry);
    this.current.set(target.url, entry);
  }

  /** The current results, as a patch. */
  patch(): InfoPatch {
    const results = this.streams;
    return (info) => {
      info.streamResults = results.map((r) => r.clone());
    };
  }

  /**
   * Finishes every stream (call it once the encoder has written its last chunk): each publisher flushes and
   * closes its connection. Resolves with the final results: FINISHED for streams that published, FAILED
   * (with an error) for the others, every one with started/ended/duration set.
   */
  async finish(): Promise<InfoPatch> {
    this.closing = true;
    await Promise.all(this.entries.map((e) => e.finish(false)));
    return this.patch();
  }

  /** Stops every stream at once, without flushing (the egress failed). Resolves with the final results. */
  async abort(): Promise<InfoPatch> {
    this.closing = true;
    await Promise.all(this.entries.map((e) => e.abort()));
    return this.patch();
  }

  private failed(err: EgressError): void {
    this.emit();
    if (this.closing || this.liveCount > 0) return;
    const error = new EgressError('unavailable', `no stream output left: ${err.message}`, {
      cause: err,
      fault: 'destination',
    });
    this.options.onNoneLeft?.({ reason: 'failed', error });
  }

  private emit(): void {
    // Held back while a new stream has no outcome yet; its outcome calls this again.
    if (this.entries.some((e) => e.pending)) return;
    this.options.onUpdate(this.patch());
  }
}
