import { EgressError } from '#domain/errors.ts';

/**
 * Error factories for request validation, with LiveKit's exact messages (`pkg/errors/errors.go` in
 * livekit/egress). All are InvalidArgument unless noted, as LiveKit's are.
 */

/** `no supported codec is compatible with all outputs` */
export function noCompatibleCodec(): EgressError {
  return new EgressError('invalid_argument', 'no supported codec is compatible with all outputs');
}

/** `no supported file output type is compatible with the selected codecs` */
export function noCompatibleFileType(): EgressError {
  return new EgressError('invalid_argument', 'no supported file output type is compatible with the selected codecs');
}

/**
 * `format <format> incompatible with codec <codec>`, e.g. `format audio/ogg incompatible with codec audio/aac`,
 * or at run time `format websocket incompatible with codec video/vp8` for a video track sent to a WebSocket.
 */
export function incompatibleFormat(format: string, codec: string): EgressError {
  return new EgressError('invalid_argument', `format ${format} incompatible with codec ${codec}`);
}

/** `<feature> is not yet supported` (InvalidArgument in LiveKit, not Unimplemented). */
export function notSupported(feature: string): EgressError {
  return new EgressError('invalid_argument', `${feature} is not yet supported`);
}

/**
 * `invalid url <url>: <reason>`. Callers pass the URL already redacted: unlike LiveKit, a stream key never
 * reaches an error message (design decision 13).
 */
export function invalidUrl(redactedUrl: string, reason: string): EgressError {
  return new EgressError('invalid_argument', `invalid url ${redactedUrl}: ${reason}`);
}

/** FailedPrecondition `output configuration does not support retry`. */
export function nonRetryableOutput(): EgressError {
  return new EgressError('failed_precondition', 'output configuration does not support retry');
}
