import { AbortedBeforeStartError, describeError, toEgressError, type EgressError } from '#domain/errors.ts';
import { validateStreamUrl, type StreamUrl } from '#domain/request/stream-url.ts';
import type { EncodingPlan } from '#domain/request/encoding.ts';
import { CompositeEncoder } from '../../encoder/composite-encoder.ts';
import { withThumbnailKeyframes } from '../../encoder/encoder-args.ts';
import { TsFanout } from '../../encoder/ts-fanout.ts';
import { WebPageSource } from '../../sources/web/web-page-source.ts';
import { StoppablePipeline, type PipelineContext, type PipelineEnd } from '../pipeline.ts';
import { audioDelayMs, chromiumPath, maxDurationMs } from './capture-settings.ts';
import { CompositeOutputs } from './composite-outputs.ts';
import { pageTarget, type PageTarget } from './page-target.ts';

/**
 * Room composite and web egress: a page in Chromium (source) → one ffmpeg capture + encode (pipeline) →
 * independent outputs (sinks) fed by the fan-out. ACTIVE when the first encoded bytes exist; stopped
 * before the page's start signal → ABORTED "Start signal not received"; END_RECORDING → COMPLETE
 * "Source closed". Every output is finalised on every end, failures included, before the task reports.
 */
export class CompositePipeline extends StoppablePipeline {
  private failure: EgressError | undefined;
  private outputs: CompositeOutputs | undefined;

  constructor(
    private readonly ctx: PipelineContext,
    private readonly encoding: EncodingPlan,
  ) {
    super();
  }

  async run(): Promise<PipelineEnd> {
    const log = this.ctx.logger;
    const target = await pageTarget(this.ctx.plan, { livekitUrl: this.ctx.livekitUrl, token: this.ctx.token }, log);
    let source: WebPageSource | undefined;
    try {
      source = await this.startSource(target);
      return await this.record(source);
    } finally {
      await source?.stop();
      await target.close();
    }
  }

  private async startSource(target: PageTarget): Promise<WebPageSource> {
    const started = performance.now();
    try {
      const source = await WebPageSource.start(
        {
          url: target.url,
          width: this.encoding.width,
          height: this.encoding.height,
          depth: this.encoding.depth,
          awaitStartSignal: target.awaitStartSignal,
          chromium: chromiumPath(),
          logger: this.ctx.logger,
          signal: this.stopping.signal,
        },
        { onEnd: () => this.stop('Source closed'), onFailure: (err) => this.fail(err) },
      );
      this.ctx.logger.info('recording may start', { sinceStartMs: Math.round(performance.now() - started) });
      return source;
    } catch (err) {
      if (this.failure !== undefined) throw this.failure;
      if (this.stopping.signal.aborted) {
        throw new AbortedBeforeStartError(
          target.awaitStartSignal ? 'Start signal not received' : 'Stop called before pipeline could start',
        );
      }
      throw toEgressError(err, 'the recorder could not start');
    }
  }

  private async record(source: WebPageSource): Promise<PipelineEnd> {
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
          ...source.capture,
          epochSec: Date.now() / 1000,
          audioDelayMs: audioDelayMs(),
          pcm: outputs.wantsPcm,
        },
        source.capture.env,
        {
          onStream: (chunk) => {
            fanout.push(chunk);
            if (!active) {
              active = true;
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
      const limit = maxDurationMs();
      const limitTimer = limit === undefined ? undefined : setTimeout(() => this.stop('Session limit reached'), limit);
      await this.stopped();
      clearTimeout(limitTimer);
      const reason = this.stopReason ?? 'Source closed';
      if (this.failure === undefined && reason !== 'Aborted') this.ctx.onEnding(reason);
      await encoder.finish();
      const patch = await outputs.finish();
      if (this.failure !== undefined) throw this.failure;
      return { reason, patch };
    } finally {
      await encoder?.kill();
      await outputs.abort();
    }
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
  private fail(err: EgressError): void {
    if (this.failure !== undefined || this.stopping.signal.aborted) return;
    this.failure = err;
    this.ctx.logger.warn('composite egress failing', { error: err.message });
    this.stopping.abort();
  }
}
