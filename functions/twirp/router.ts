import type { Message, MessageType } from '@bufbuild/protobuf';
import {
  ListEgressRequest,
  ParticipantEgressRequest,
  RoomCompositeEgressRequest,
  StartEgressRequest,
  StopEgressRequest,
  TrackCompositeEgressRequest,
  TrackEgressRequest,
  UpdateLayoutRequest,
  UpdateStreamRequest,
  WebEgressRequest,
} from '@livekit/protocol';
import { EgressError } from '#domain/errors.ts';
import type { Logger } from '#shared/logger.ts';
import type { RecordPermission } from './auth.ts';
import { decodeBody, encodeResponse, formatOf } from './codec.ts';
import type { EgressService } from './egress-service.ts';
import { errorToResponse, twirpErrorResponse } from './twirp-error.ts';

/** Largest request body accepted; real requests are a few KB. */
export const maxBodyBytes = 1024 * 1024;
const prefix = '/twirp/livekit.Egress/';

interface Method<T extends Message<T>> {
  readonly input: MessageType<T>;
  readonly run: (service: EgressService, input: T) => Promise<Message>;
}

function method<T extends Message<T>>(input: MessageType<T>, run: Method<T>['run']): Method<T> {
  return { input, run };
}

const methods: Readonly<Record<string, Method<never>>> = {
  StartEgress: method(StartEgressRequest, (s, value) => s.start({ case: 'egress', value })),
  StartRoomCompositeEgress: method(RoomCompositeEgressRequest, (s, value) => s.start({ case: 'roomComposite', value })),
  StartWebEgress: method(WebEgressRequest, (s, value) => s.start({ case: 'web', value })),
  StartParticipantEgress: method(ParticipantEgressRequest, (s, value) => s.start({ case: 'participant', value })),
  StartTrackCompositeEgress: method(TrackCompositeEgressRequest, (s, value) =>
    s.start({ case: 'trackComposite', value }),
  ),
  StartTrackEgress: method(TrackEgressRequest, (s, value) => s.start({ case: 'track', value })),
  UpdateLayout: method(UpdateLayoutRequest, (s, value) => s.updateLayout(value)),
  UpdateStream: method(UpdateStreamRequest, (s, value) => s.updateStream(value)),
  ListEgress: method(ListEgressRequest, (s, value) => s.list(value)),
  StopEgress: method(StopEgressRequest, (s, value) => s.stop(value)),
} as unknown as Record<string, Method<never>>;

export interface TwirpDeps {
  readonly service: EgressService;
  readonly auth: RecordPermission;
  readonly logger: Logger;
}

/**
 * The `livekit.Egress` Twirp service as a plain `Request → Response` function, shared by the Lambda handler
 * and the local server. Never throws: every failure becomes a Twirp error response.
 */
export async function handleTwirp(request: Request, deps: TwirpDeps): Promise<Response> {
  const path = new URL(request.url).pathname;
  const name = path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
  const entry = name === undefined || !Object.hasOwn(methods, name) ? undefined : methods[name];
  if (entry === undefined || name === undefined) {
    return twirpErrorResponse('bad_route', `no handler for path "${path}"`);
  }
  if (request.method !== 'POST') {
    return twirpErrorResponse('bad_route', `unsupported method ${request.method} (only POST is allowed)`);
  }
  const format = formatOf(request.headers.get('content-type'));
  if (format === undefined) {
    return twirpErrorResponse(
      'bad_route',
      `unexpected Content-Type: ${request.headers.get('content-type') ?? '(none)'}`,
    );
  }
  const log = deps.logger.child({ method: name });
  try {
    await deps.auth.check(request.headers.get('authorization'));
    const body = await readLimited(request, maxBodyBytes);
    const input = decodeBody(entry.input, body, format);
    const output = await entry.run(deps.service, input);
    return encodeResponse(output as never, format);
  } catch (err) {
    if (err instanceof EgressError && err.fault !== 'internal') {
      log.info('request rejected', { code: err.code, error: err.message });
    } else {
      log.error('request failed', { err });
    }
    return errorToResponse(err);
  }
}

/** Reads the body, failing fast (without buffering it all) when it exceeds `limit` bytes. */
async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > limit) throw tooLarge(limit);
  if (request.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

function tooLarge(limit: number): EgressError {
  return new EgressError('malformed', `request body larger than ${limit} bytes`);
}
