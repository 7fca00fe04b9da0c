import { EgressError, twirpHttpStatus, type TwirpCode } from '#domain/errors.ts';

/**
 * A Twirp error response: `{"code","msg"}` with content-type exactly `application/json` (the LiveKit SDKs
 * only parse the body as JSON when the header is exactly that).
 */
export function twirpErrorResponse(code: TwirpCode, msg: string): Response {
  return new Response(JSON.stringify({ code, msg }), {
    status: twirpHttpStatus[code],
    headers: { 'content-type': 'application/json' },
  });
}

/** The Twirp response for anything thrown by a use case: typed errors keep their code and message. */
export function errorToResponse(err: unknown): Response {
  if (err instanceof EgressError) return twirpErrorResponse(err.code, err.message);
  return twirpErrorResponse('internal', 'internal error');
}
