import type {
  EgressInfo,
  ListEgressRequest,
  ListEgressResponse,
  StopEgressRequest,
  UpdateLayoutRequest,
  UpdateStreamRequest,
} from '@livekit/protocol';
import type { StoredRequest } from '#domain/egress-record.ts';

/** The use cases behind the `livekit.Egress` Twirp service. */
export interface EgressService {
  start(request: StoredRequest): Promise<EgressInfo>;
  stop(request: StopEgressRequest): Promise<EgressInfo>;
  list(request: ListEgressRequest): Promise<ListEgressResponse>;
  updateStream(request: UpdateStreamRequest): Promise<EgressInfo>;
  updateLayout(request: UpdateLayoutRequest): Promise<EgressInfo>;
}
