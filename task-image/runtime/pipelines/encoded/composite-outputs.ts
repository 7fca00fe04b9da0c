import { FileInfo, ImagesInfo, SegmentsInfo } from '@livekit/protocol';
import { EgressError } from '#domain/errors.ts';
import { nowNanos } from '#domain/egress-record.ts';
import type { TimedFilenameContext } from '#domain/request/filename.ts';
import type { StreamUrl } from '#domain/request/stream-url.ts';
import type { TsFanout } from '../../encoder/ts-fanout.ts';
import type { TsTimeline } from '../../encoder/ts-timeline.ts';
import { buildManifest } from '../../outputs/manifest.ts';
import type { EncodedSink, StreamEnd } from '../../sinks/encoded-sink.ts';
import type { ImagesSink } from '../../sinks/images-sink.ts';
import { ThumbnailSink } from '../../sinks/thumbnail-sink.ts';
import type { SegmentsSink } from '../../sinks/segments-sink.ts';
import { StreamOutputs } from '../../sinks/stream-outputs.ts';
import type { EndReason, InfoPatch, PipelineContext } from '../pipeline.ts';
import { openFile, openImages, openSegments, type OpenedFile } from './open-outputs.ts';
import { PcmStream } from './pcm-stream.ts';

/** How outputs tell the pipeline that the egress must end. */
export interface OutputEvents {
  /** An output whose loss ends the egress failed, or the last stream failed with nothing else left. */
  readonly onFailure: (err: EgressError) => void;
  /** UpdateStream removed the last stream and nothing else is recorded: LiveKit's "All streams stopped". */
  readonly onEnd: (reason: EndReason) => void;
}

/**
 * Every output of one composite egress, fed by the one encoder: the file, HLS segments, thumbnails and
 * live streams. A file, segments or images output that fails fails the egress (what it holds would be
 * lost silently otherwise); streams fail one by one. The manifest is written after every output finished.
 */
export class CompositeOutputs {
  private readonly sinks: EncodedSink[] = [];
  private file: OpenedFile | undefined;
  private segments: SegmentsSink | undefined;
  private readonly images: ImagesSink[] = [];
  private streams: StreamOutputs | undefined;
  private pcm: PcmStream | undefined;
  private readonly startedAt = nowNanos();

  private constructor(
    private readonly ctx: PipelineContext,
    private readonly fanout: TsFanout,
  ) {}

  /** Opens every output of the plan and attaches the encoded ones to the fan-out. */
  static async open(
    ctx: PipelineContext,
    fanout: TsFanout,
    timeline: TsTimeline | undefined,
    events: OutputEvents,
  ): Promise<CompositeOutputs> {
    const { onFailure } = events;
    const context: TimedFilenameContext = { time: new Date(), roomName: ctx.plan.roomName };
    const outputs = new CompositeOutputs(ctx, fanout);
    const { file, segments, images, stream } = ctx.plan.outputs;
    if (file !== undefined) {
      const media = timeline === undefined ? undefined : { timeline, mediaPids: fanout.mediaPids };
      outputs.file = await openFile(ctx, file, context, media);
      outputs.sinks.push(outputs.file.sink);
    }
    if (segments !== undefined) {
      outputs.segments = openSegments(ctx, segments, context);
      outputs.sinks.push(outputs.segments);
    }
    const size = typeof ctx.plan.encoding === 'object' ? ctx.plan.encoding : { width: 1280, height: 720 };
    for (const image of images) {
      const sink = openImages(ctx, image, context);
      outputs.images.push(sink);
      outputs.sinks.push(
        new ThumbnailSink({
          intervalSec: image.captureIntervalSec,
          width: image.width ?? size.width,
          height: image.height ?? size.height,
          images: sink,
          logger: ctx.logger.child({ output: 'images' }),
        }),
      );
    }
    for (const sink of outputs.sinks) {
      sink.onFailure((err) => {
        fanout.remove(sink);
        onFailure(err);
      });
      fanout.add(sink);
    }
    const others = outputs.sinks.length > 0;
    if (stream?.protocol === 'websocket' && stream.urls[0] !== undefined) {
      outputs.pcm = await PcmStream.open(stream.urls[0], ctx.logger.child({ output: 'websocket' }), (err) => {
        if (!others) onFailure(err);
      });
    } else if (stream !== undefined && stream.protocol !== 'websocket') {
      outputs.streams = new StreamOutputs({
        fanout,
        protocol: stream.protocol,
        logger: ctx.logger.child({ output: 'stream' }),
        onUpdate: ctx.onUpdate,
        // LiveKit: the egress fails only when no output is left; removing the last stream ends it.
        onNoneLeft: (event) => {
          if (others) return;
          if (event.reason === 'failed') onFailure(event.error);
          else events.onEnd('All streams stopped');
        },
      });
      outputs.streams.setUrls(stream.urls);
    }
    return outputs;
  }

  /** UpdateStream: the stream output's URLs from now on (already validated by the API). */
  setStreamUrls(urls: readonly StreamUrl[]): void {
    this.streams?.setUrls(urls);
  }

  /** Whether the encoder also writes PCM (a WebSocket stream output). */
  get wantsPcm(): boolean {
    return this.pcm !== undefined;
  }

  /** The encoder's PCM, for the WebSocket stream. */
  pushPcm(chunk: Buffer): void {
    this.pcm?.push(chunk);
  }

  /** The results known at ACTIVE: names and start times. */
  startedPatch(): InfoPatch {
    const startedAt = nowNanos();
    const file = this.file;
    const segments = this.ctx.plan.outputs.segments !== undefined;
    const images = this.images.length;
    return (info) => {
      if (file !== undefined) info.fileResults = [new FileInfo({ filename: file.key, startedAt })];
      if (segments) info.segmentResults = [new SegmentsInfo({ startedAt })];
      if (images > 0) info.imageResults = Array.from({ length: images }, () => new ImagesInfo({ startedAt }));
    };
  }

  /**
   * Finishes every output (the encoder has ended), then writes the manifest; resolves with all results. The
   * file is cut at `end.cutPts`; live outputs (HLS, streams) already carry what came after, and keep it.
   */
  async finish(end: StreamEnd = {}): Promise<InfoPatch> {
    const settled = await Promise.allSettled([
      ...this.sinks.map((sink) => (sink === this.file?.sink ? sink.finish(end) : sink.finish())),
      ...(this.streams === undefined ? [] : [this.streams.finish()]),
      ...(this.pcm === undefined ? [] : [this.pcm.finish()]),
    ]);
    const patches: InfoPatch[] = [];
    for (const result of settled) {
      if (result.status === 'rejected') {
        const err: unknown = result.reason;
        throw err instanceof EgressError ? err : new EgressError('internal', 'output failed', { cause: err });
      }
      patches.push(result.value);
    }
    const manifestLocation = await this.writeManifest();
    return (info) => {
      // Results of this run replace the provisional ones written at ACTIVE.
      info.imageResults = [];
      for (const patch of patches) patch(info);
      if (manifestLocation !== undefined) info.manifestLocation = manifestLocation;
    };
  }

  /** LiveKit's manifest, beside the file (or the playlist, or the images), unless every output disables it. */
  private async writeManifest(): Promise<string | undefined> {
    const { file, segments, images } = this.ctx.plan.outputs;
    const wanted = [file, segments, ...images].filter((o) => o !== undefined && !o.disableManifest);
    const first = wanted[0];
    if (first === undefined) return undefined;
    const stored = this.file?.sink.stored;
    const anchor = stored?.key ?? this.segments?.manifestEntry().location ?? '';
    const dir = anchor.includes('/') && stored !== undefined ? anchor.slice(0, anchor.lastIndexOf('/') + 1) : '';
    const body = buildManifest(
      {
        egressId: this.ctx.egressId,
        roomId: '',
        roomName: this.ctx.plan.roomName,
        startedAt: this.startedAt,
        endedAt: nowNanos(),
      },
      stored === undefined ? [] : [{ filename: stored.key, location: stored.location }],
      undefined,
      {
        playlists: this.segments === undefined ? [] : [this.segments.manifestEntry()],
        images: this.images.flatMap((image) => image.manifestEntries()),
      },
    );
    const manifest = await this.ctx.storage(first.storage).putObject(`${dir}${this.ctx.egressId}.json`, body, {
      contentType: 'application/json',
      metadata: { 'egress-id': this.ctx.egressId },
    });
    return manifest.location;
  }

  /** Kills whatever is still running (an abnormal end). Idempotent. */
  async abort(): Promise<void> {
    for (const sink of this.sinks) this.fanout.remove(sink);
    await Promise.all([
      ...this.sinks.map((sink) => sink.abort().catch(() => undefined)),
      this.streams?.abort().catch(() => undefined),
      this.pcm?.finish().catch(() => undefined),
    ]);
  }
}
