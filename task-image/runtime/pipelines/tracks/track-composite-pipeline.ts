import { AbortedBeforeStartError, EgressError, toEgressError } from '#domain/errors.ts';
import type { CompositeEncoder } from '../../encoder/composite-encoder.ts';
import { TrackMediaSource } from '../../sources/tracks/track-media-source.ts';
import { selectTracks } from '../../sources/tracks/track-selection.ts';
import { EncodedPipeline } from '../encoded/encoded-pipeline.ts';
import { trackAudioDelayMs } from '../encoded/recorder-settings.ts';
import { trackWaitMs, type PipelineEnd } from '../pipeline.ts';
import { MediaPacer } from './media-pacer.ts';
import { blackPgmyuv, toPgmyuv } from './pgmyuv.ts';

/**
 * How long both kinds are held before they are written: a picture whose packets were lost and sent again
 * comes out of the decoder late, past its render time (on the lossy-path test, flashes up to ~90 ms after
 * their beeps); held, it still lands at its own time. The file's content runs this much behind the clock.
 */
const holdMs = 150;
/** How long the first decoded media may take (subscription, keyframe) before recording starts anyway. */
const firstMediaWaitMs = 3_000;
/**
 * While the encoder has not emitted its first bytes, it gets more primed media this often (rarely: each
 * addition lengthens the file's start by 100 ms)…
 */
const primeRetryMs = 5_000;
/** …and after this long the clock starts anyway (the encoder's exit, if it comes, fails the egress). */
const primeTimeoutMs = 20_000;

/**
 * Track composite and participant egress, without a browser: one participant's audio and video decoded by
 * rtc-node (source) → paced onto the wall clock and encoded once (pipeline) → the same fan-out and outputs
 * as the room composite (sinks). A muted or missing track is silence or black, so the timeline stays the
 * time that passed; the egress ends COMPLETE when its source ends (tracks unpublished, participant left).
 */
export class TrackCompositePipeline extends EncodedPipeline {
  private pacer: MediaPacer | undefined;
  /** Set when the room connection was lost for good: the outputs are finalised, then the egress fails. */
  private lost: EgressError | undefined;

  async run(): Promise<PipelineEnd> {
    const selection = selectTracks(this.ctx.plan);
    const log = this.ctx.logger;
    let source: TrackMediaSource | undefined;
    let primeTimer: NodeJS.Timeout | undefined;
    try {
      source = await this.open(selection);
      const pacer = new MediaPacer({
        fps: this.encoding.framerate,
        black: blackPgmyuv(160, Math.round((160 * this.encoding.height) / this.encoding.width)),
        logger: log,
        videoDelayMs: trackAudioDelayMs(),
        holdMs,
        onStall: (err) => this.fail(err),
      });
      this.pacer = pacer;
      source.start({
        onAudio: (samples) => pacer.pushAudio(samples),
        onAudioAbsent: () => pacer.audioAbsent(),
        onVideo: (picture, renderAtMs) => pacer.pushVideo(toPgmyuv(picture), renderAtMs),
        onVideoAbsent: () => pacer.videoAbsent(),
        onEnd: (end, lost) => {
          if (end === 'connection lost')
            this.lost = lost ?? new EgressError('unavailable', 'lost the connection to the room');
          this.stop('Source closed');
        },
      });
      // The recording starts with the participant's first picture and sound, not with a second of black.
      await source.firstMedia(firstMediaWaitMs, this.stopping.signal);
      const end = await this.record({
        input: { kind: 'pipes' },
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
        onEncoder: (encoder: CompositeEncoder) => {
          pacer.prime({ video: encoder.inputs.video, audio: encoder.inputs.audio });
          // An encoder slow to start (a busy machine) gets more input; the clock starts with its first bytes,
          // so the file begins at ACTIVE whatever the start-up took.
          const primedAt = performance.now();
          primeTimer = setInterval(() => {
            if (performance.now() - primedAt < primeTimeoutMs) pacer.primeMore();
            else pacer.start();
          }, primeRetryMs);
        },
        onFirstBytes: () => {
          clearInterval(primeTimer);
          pacer.start();
        },
        // The first PES is media time zero, which the pacer put on the clock when it started.
        origin: () => pacer.originMs,
      });
      return this.lost === undefined ? end : { ...end, failure: this.lost };
    } finally {
      clearInterval(primeTimer);
      this.pacer?.stop();
      await source?.close();
    }
  }

  /** After the stop: the last due media is written and the inputs close, so ffmpeg drains and exits. */
  protected override beforeFinish(encoder: CompositeEncoder): Promise<void> {
    this.pacer?.stop();
    encoder.inputs.video?.end();
    encoder.inputs.audio?.end();
    return Promise.resolve();
  }

  private async open(selection: ReturnType<typeof selectTracks>): Promise<TrackMediaSource> {
    try {
      return await TrackMediaSource.open(this.ctx.livekitUrl, this.ctx.token, selection, {
        waitMs: trackWaitMs,
        signal: this.stopping.signal,
        logger: this.ctx.logger,
        reconnectWindowMs: this.ctx.reconnectWindowMs,
      });
    } catch (err) {
      if (this.stopping.signal.aborted) throw new AbortedBeforeStartError('Stop called before pipeline could start');
      throw toEgressError(err, 'the recorder could not start');
    }
  }
}
