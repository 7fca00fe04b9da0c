import { describeError, type EgressError } from '#domain/errors.ts';
import type { EncodingPlan } from '#domain/request/encoding.ts';
import { validateStreamUrl, type StreamUrl } from '#domain/request/stream-url.ts';
import { CompositeEncoder } from '../../encoder/composite-encoder.ts';
import { withThumbnailKeyframes, type CaptureInput, type PipedInput } from '../../encoder/encoder-args.ts';
import { TsFanout } from '../../encoder/ts-fanout.ts';
import { TsTimeline, type MediaOrigin } from '../../encoder/ts-timeline.ts';
import { StoppablePipeline, type PipelineContext, type PipelineEnd } from '../pipeline.ts';
import { fileHoldMs } from '../../sinks/file-sink.ts';
import { maxDurationMs } from './recorder-settings.ts';
import { CompositeOutputs } from './composite-outputs.ts';

/** What feeds the one encoder. */
export interface EncoderFeed {
  readonly input: CaptureInput | PipedInput;
  /** Environment of the encoder process (the capture stack's DISPLAY and PULSE_SERVER). */
  readonly env: NodeJS.ProcessEnv;
  /** Called once the encoder runs, with its input pipes (piped input): the source starts writing. */
  readonly onEncoder?: (encoder: CompositeEncoder) => void;
  /** Called with the first encoded bytes, just before the egress becomes ACTIVE. */
  readonly onFirstBytes?: () => void;
  /**
   * Where the encoder's media time sits on the wall clock, when the source knows: the file is then held back
   * and cut at the stop time. Without it the file gets the media as it comes and ends where the encoder did.
   */
  readonly origin?: MediaOrigin;
}

/** How long the encoder may take to output the media captured up to the stop before the file is cut anyway. */
const cutWaitMs = 3_000;

/**
 * The encode-once, fan-out half shared by every transcoding egress (room composite, web, track composite,
 * participant): one ffmpeg encodes what the source feeds it, and the fan-out hands its MPEG-TS to every
 * output (file, HLS, thumbnails, streams, WebSocket PCM), each able to fail or change on its own. ACTIVE
 * with the first encoded bytes; a configurable max duration ends it LIMIT_REACHED; every output is
 * finalised on every end, failures included, before the task reports.
 */
export abstract class EncodedPipeline extends StoppablePipeline {
  private failure: EgressError | undefined;
  private outputs: CompositeOutputs | undefined;

  constructor(
    protected readonly ctx: PipelineContext,
    protected readonly encoding: EncodingPlan,
  ) {
    super();
  }

  /** The first failure, if the egress is failing. */
  protected get failing(): EgressError | undefined {
    return this.failure;
  }

  /** Opens the outputs, runs the encoder on `feed` until the pipeline stops, then finishes every output. */
  protected async record(feed: EncoderFeed): Promise<PipelineEnd> {
    const { plan } = this.ctx;
    const timeline = feed.origin === undefined ? undefined : new TsTimeline(feed.origin);
    const fanout = new TsFanout(this.ctx.logger, timeline);
    const outputs = await CompositeOutputs.open(this.ctx, fanout, timeline, {
      onFailure: (err) => this.fail(err),
      onEnd: (reason) => this.stop(reason),
    });
    this.outputs = outputs;
    let encoder: CompositeEncoder | undefined;
    try {
      let active = false;
      encoder = CompositeEncoder.start(
        {
          encoding: withThumbnailKeyframes(
            this.encoding,
            plan.outputs.images.map((image) => image.captureIntervalSec),
          ),
          audio: plan.audio,
          video: plan.video,
          input: feed.input,
          pcm: outputs.wantsPcm,
        },
        feed.env,
        {
          onStream: (chunk) => {
            fanout.push(chunk);
            if (!active) {
              active = true;
              feed.onFirstBytes?.();
              this.ctx.onActive(outputs.startedPatch());
            }
          },
          onPcm: (chunk) => outputs.pushPcm(chunk),
        },
        this.ctx.logger,
      );
      const running = encoder;
      void running.exited.then((exit) => {
        if (!running.finishingRequested) this.fail(running.failure(exit));
      });
      feed.onEncoder?.(running);
      const limit = maxDurationMs();
      const limitTimer = limit === undefined ? undefined : setTimeout(() => this.stop('Session limit reached'), limit);
      await this.stopped();
      clearTimeout(limitTimer);
      const reason = this.stopReason ?? 'Source closed';
      if (this.failure === undefined && reason !== 'Aborted') this.ctx.onEnding(reason);
      const cutPts = await this.cutPoint(timeline, reason);
      await this.beforeFinish(running);
      await encoder.finish();
      const patch = await outputs.finish({ cutPts });
      if (this.failure !== undefined) throw this.failure;
      return { reason, patch };
    } finally {
      await encoder?.kill();
      await outputs.abort();
    }
  }

  /**
   * StopEgress ends the file at the instant it was called, not when the task learnt of it: the PTS of the
   * media captured then, once the encoder has output everything up to it (the file holds back its last
   * {@link fileHoldMs}, so what came after is still there to drop). Other ends keep everything.
   */
  private async cutPoint(timeline: TsTimeline | undefined, reason: string): Promise<number | undefined> {
    const atMs = this.stopAtMs;
    if (timeline === undefined || reason !== 'StopEgress API' || atMs === undefined || this.failure !== undefined) {
      return undefined;
    }
    const cutPts = timeline.ptsAt(atMs);
    if (cutPts === undefined) return undefined;
    const reached = await timeline.reached(cutPts, cutWaitMs);
    const lateMs = Math.round(Date.now() - atMs);
    if (!reached)
      this.ctx.logger.warn('the encoder did not reach the stop time; the file ends where it got', { lateMs });
    else if (lateMs > fileHoldMs) this.ctx.logger.warn('the stop came later than the file holds back', { lateMs });
    else this.ctx.logger.info('file cut at the stop time', { lateMs });
    return cutPts;
  }

  /** Runs after the stop and before the encoder is finished (a piped source closes its inputs here). */
  protected beforeFinish(_encoder: CompositeEncoder): Promise<void> {
    return Promise.resolve();
  }

  /** UpdateStream: URLs were validated by the API; one that no longer validates is skipped, not fatal. */
  updateStreamUrls(urls: readonly string[]): void {
    const stream = this.ctx.plan.outputs.stream;
    if (stream === undefined || stream.protocol === 'websocket') return;
    const valid: StreamUrl[] = [];
    for (const url of urls) {
      try {
        valid.push(validateStreamUrl(url, stream.protocol));
      } catch (err) {
        this.ctx.logger.warn('stream url skipped', { error: describeError(err) });
      }
    }
    this.outputs?.setStreamUrls(valid);
  }

  /** The egress fails: the first error wins, and the run ends (outputs are still finalised). */
  protected fail(err: EgressError): void {
    if (this.failure !== undefined || this.stopping.signal.aborted) return;
    this.failure = err;
    this.ctx.logger.warn('egress failing', { error: err.message });
    this.stopping.abort();
  }
}
