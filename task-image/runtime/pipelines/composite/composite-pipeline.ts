import { AbortedBeforeStartError, toEgressError } from '#domain/errors.ts';
import { WebPageSource } from '../../sources/web/web-page-source.ts';
import type { PipelineEnd } from '../pipeline.ts';
import { EncodedPipeline } from '../encoded/encoded-pipeline.ts';
import { audioDelayMs, chromiumPath } from '../encoded/recorder-settings.ts';
import { pageTarget, type PageTarget } from './page-target.ts';

/**
 * Room composite and web egress: a page in Chromium (source) → one ffmpeg capture + encode (pipeline) →
 * independent outputs (sinks) fed by the fan-out. ACTIVE when the first encoded bytes exist; stopped
 * before the page's start signal → ABORTED "Start signal not received"; END_RECORDING → COMPLETE
 * "Source closed".
 */
export class CompositePipeline extends EncodedPipeline {
  async run(): Promise<PipelineEnd> {
    const log = this.ctx.logger;
    const target = await pageTarget(this.ctx.plan, { livekitUrl: this.ctx.livekitUrl, token: this.ctx.token }, log);
    let source: WebPageSource | undefined;
    try {
      source = await this.startSource(target);
      const { display, audioSource, env } = source.capture;
      // No origin: the capture's PTS have no wall-clock mapping yet, so the file is not cut at the stop time
      // (nor held back for it). Keeping the capture timestamps in the MPEG-TS (-mpegts_copyts 1) would give
      // one; it was taken out while chasing a steady audio-early offset of the grid, which then showed
      // without it too (−219 ms), so it is not the cause — but the mapping is unverified.
      return await this.record({
        input: { kind: 'capture', display, audioSource, epochSec: Date.now() / 1000, audioDelayMs: audioDelayMs() },
        env,
      });
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
      if (this.failing !== undefined) throw this.failing;
      if (this.stopping.signal.aborted) {
        throw new AbortedBeforeStartError(
          target.awaitStartSignal ? 'Start signal not received' : 'Stop called before pipeline could start',
        );
      }
      throw toEgressError(err, 'the recorder could not start');
    }
  }
}
