import type {
  EgressInfo,
  ListEgressRequest,
  ListEgressResponse,
  StopEgressRequest,
  UpdateLayoutRequest,
  UpdateStreamRequest,
} from '@livekit/protocol';
import type { StoredRequest } from '#domain/egress-record.ts';
import type { EgressService } from '#twirp/egress-service.ts';
import type { ApiDeps } from './api-deps.ts';
import { listEgress } from './list-egress.ts';
import { startEgress } from './start-egress.ts';
import { stopEgress } from './stop-egress.ts';
import { updateLayout } from './update-layout.ts';
import { updateStream } from './update-stream.ts';

/** The `livekit.Egress` use cases bound to one set of adapters. */
export function createEgressService(deps: ApiDeps): EgressService {
  return {
    start: (request: StoredRequest): Promise<EgressInfo> => startEgress(deps, request),
    stop: (request: StopEgressRequest): Promise<EgressInfo> => stopEgress(deps, request),
    list: (request: ListEgressRequest): Promise<ListEgressResponse> => listEgress(deps, request),
    updateStream: (request: UpdateStreamRequest): Promise<EgressInfo> => updateStream(deps, request),
    updateLayout: (request: UpdateLayoutRequest): Promise<EgressInfo> => updateLayout(deps, request),
  };
}
