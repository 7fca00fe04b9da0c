import { describeError, type EgressError } from '#domain/errors.ts';
import type { EncodingPlan } from '#domain/request/encoding.ts';
import { validateStreamUrl, type StreamUrl } from '#domain/request/stream-url.ts';
import { CompositeEncoder } from '../../encoder/composite-encoder.ts';
import { withThumbnailKeyframes, type CaptureInput, type PipedInput } from '../../encoder/encoder-args.ts';
import { TsFanout } from '../../encoder/ts-fanout.ts';
import { StoppablePipeline, type PipelineContext, type PipelineEnd } from '../pipeline.ts';
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
}

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
    const fanout = new TsFanout(this.ctx.logger);
    const outputs = await CompositeOutputs.open(this.ctx, fanout, {
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
      await this.beforeFinish(running);
      await encoder.finish();
      const patch = await outputs.finish();
      if (this.failure !== undefined) throw this.failure;
      return { reason, patch };
    } finally {
      await encoder?.kill();
      await outputs.abort();
    }
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
