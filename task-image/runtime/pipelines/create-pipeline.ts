import { EgressError } from '#domain/errors.ts';
import type { Pipeline, PipelineContext } from './pipeline.ts';
import { TrackWebSocketPipeline } from './track-websocket.ts';

/** The one factory choosing a pipeline from the plan's source and outputs. */
export function createPipeline(ctx: PipelineContext): Pipeline {
  const { plan } = ctx;
  const stream = plan.outputs.stream;
  if (plan.source.kind === 'track' && stream?.protocol === 'websocket') {
    const target = stream.urls[0];
    if (target === undefined)
      throw new EgressError('invalid_argument', 'request has missing or invalid field: websocket_url');
    return new TrackWebSocketPipeline(ctx, plan.source.trackId, target);
  }
  throw new EgressError(
    'unimplemented',
    `${plan.requestType} egress with these outputs is not available in this version yet`,
  );
}
