import { EgressError } from '#domain/errors.ts';
import type { Pipeline, PipelineContext } from './pipeline.ts';

/**
 * The one factory choosing a pipeline from the plan's source and outputs. Pipelines are loaded on demand:
 * a track-file task never loads rtc-node's native library, a WebSocket task never loads werift (its import
 * alone took 1.7 s at 0.25 vCPU), which is start latency saved on every egress.
 */
export async function createPipeline(ctx: PipelineContext): Promise<Pipeline> {
  const { plan } = ctx;
  const stream = plan.outputs.stream;
  if (plan.source.kind === 'track' && stream?.protocol === 'websocket') {
    const target = stream.urls[0];
    if (target === undefined) {
      throw new EgressError('invalid_argument', 'request has missing or invalid field: websocket_url');
    }
    const { TrackWebSocketPipeline } = await import('./track-websocket.ts');
    return new TrackWebSocketPipeline(ctx, plan.source.trackId, target);
  }
  const file = plan.outputs.file;
  if (
    plan.source.kind === 'track' &&
    file !== undefined &&
    stream === undefined &&
    plan.outputs.segments === undefined
  ) {
    const { TrackFilePipeline } = await import('./track-file.ts');
    return new TrackFilePipeline(ctx, plan.source.trackId, file, ctx.storage);
  }
  if ((plan.source.kind === 'template' || plan.source.kind === 'web') && typeof plan.encoding === 'object') {
    const { CompositePipeline } = await import('./composite/composite-pipeline.ts');
    return new CompositePipeline(ctx, plan.encoding);
  }
  const { kind } = plan.source;
  if ((kind === 'tracks' || kind === 'participant' || kind === 'media') && typeof plan.encoding === 'object') {
    const { TrackCompositePipeline } = await import('./tracks/track-composite-pipeline.ts');
    return new TrackCompositePipeline(ctx, plan.encoding);
  }
  throw new EgressError(
    'unimplemented',
    `${plan.requestType} egress with these outputs is not available in this version yet`,
  );
}
