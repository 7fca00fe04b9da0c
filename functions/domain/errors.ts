/**
 * Typed errors of the egress domain.
 *
 * Every error that can reach a user carries a Twirp code and the HTTP-style `errorCode` LiveKit stores in
 * `EgressInfo.error_code` (psrpc `ToHttp`). Errors are classified by whose fault they are, because that
 * decides the log level, whether a retry can help, and the final status of an egress.
 */

/** Twirp error codes used by this service (https://twitchtv.github.io/twirp/docs/spec_v7.html). */
export type TwirpCode =
  | 'invalid_argument'
  | 'malformed'
  | 'not_found'
  | 'already_exists'
  | 'permission_denied'
  | 'unauthenticated'
  | 'failed_precondition'
  | 'resource_exhausted'
  | 'unavailable'
  | 'bad_route'
  | 'deadline_exceeded'
  | 'internal'
  | 'unimplemented';

/** HTTP status Twirp answers with for each code (Twirp spec v7). */
export const twirpHttpStatus: Readonly<Record<TwirpCode, number>> = {
  invalid_argument: 400,
  malformed: 400,
  bad_route: 404,
  not_found: 404,
  already_exists: 409,
  permission_denied: 403,
  unauthenticated: 401,
  failed_precondition: 412,
  resource_exhausted: 429,
  deadline_exceeded: 408,
  unavailable: 503,
  internal: 500,
  unimplemented: 501,
};

/** `EgressInfo.error_code` value LiveKit stores for each code (psrpc `ToHttp`). */
const egressErrorCode: Readonly<Partial<Record<TwirpCode, number>>> = {
  invalid_argument: 400,
  malformed: 400,
  not_found: 404,
  permission_denied: 403,
  already_exists: 409,
  failed_precondition: 412,
  resource_exhausted: 413,
  unavailable: 503,
  internal: 500,
};

/** Who caused an error: decides log level, retry and final status. */
export type Fault = 'request' | 'destination' | 'capacity' | 'internal';

export interface EgressErrorOptions {
  readonly cause?: unknown;
  readonly fault?: Fault;
}

/** Base class of every error the egress system raises on purpose. */
export class EgressError extends Error {
  override readonly name: string = 'EgressError';
  readonly code: TwirpCode;
  readonly fault: Fault;

  constructor(code: TwirpCode, message: string, options: EgressErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.fault = options.fault ?? faultOf(code);
  }

  /** HTTP status of the Twirp response carrying this error. */
  get httpStatus(): number {
    return twirpHttpStatus[this.code];
  }

  /** Value for `EgressInfo.error_code` when this error ends an egress. */
  get egressErrorCode(): number {
    return egressErrorCode[this.code] ?? 500;
  }
}

function faultOf(code: TwirpCode): Fault {
  switch (code) {
    case 'internal':
    case 'unimplemented':
      return 'internal';
    case 'unavailable':
    case 'resource_exhausted':
      return 'capacity';
    default:
      return 'request';
  }
}

/** `request has missing or invalid field: <field>` — LiveKit's InvalidArgument for a bad request field. */
export function invalidField(field: string, detail?: string): EgressError {
  const suffix = detail === undefined ? '' : ` (${detail})`;
  return new EgressError('invalid_argument', `request has missing or invalid field: ${field}${suffix}`);
}

/** Wraps anything thrown into an {@link EgressError}, keeping typed errors as they are. */
export function toEgressError(err: unknown, fallbackMessage = 'internal error'): EgressError {
  if (err instanceof EgressError) return err;
  return new EgressError('internal', fallbackMessage, { cause: err });
}

/** Message of anything thrown, for logs (never for users unless it is an {@link EgressError}). */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The egress was stopped before its pipeline started: it ends ABORTED (412), not FAILED. */
export class AbortedBeforeStartError extends EgressError {
  override readonly name = 'AbortedBeforeStartError';

  constructor(message = 'Stop called before pipeline could start') {
    super('failed_precondition', message);
  }
}
