import { TokenVerifier } from 'livekit-server-sdk';
import { EgressError } from '#domain/errors.ts';

/**
 * Checks the caller's LiveKit access token: `Authorization: Bearer <JWT>`, HS256 with the deployment's API
 * secret, and the `roomRecord` video grant that every `livekit.Egress` method requires.
 */
export class RecordPermission {
  private readonly verifier: TokenVerifier;

  constructor(
    private readonly apiKey: string,
    apiSecret: string,
  ) {
    this.verifier = new TokenVerifier(apiKey, apiSecret);
  }

  /** Resolves when the header grants roomRecord; throws unauthenticated / permission_denied otherwise. */
  async check(authorization: string | null): Promise<void> {
    if (authorization === null || authorization.trim() === '') {
      throw new EgressError('unauthenticated', 'authorization header missing: send "Authorization: Bearer <token>"');
    }
    const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    const token = match?.[1];
    if (token === undefined) {
      throw new EgressError('unauthenticated', 'authorization header must be "Bearer <token>"');
    }
    let grants;
    try {
      grants = await this.verifier.verify(token);
    } catch (err) {
      throw new EgressError('unauthenticated', `invalid access token: ${reason(err)}`, { cause: err });
    }
    if (grants.video?.roomRecord !== true) {
      throw new EgressError('permission_denied', 'access token lacks the roomRecord grant needed for egress');
    }
  }

  /** The API key callers' tokens must be issued for. */
  get key(): string {
    return this.apiKey;
  }
}

function reason(err: unknown): string {
  const code = err instanceof Error && 'code' in err ? String((err as { code: unknown }).code) : '';
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature does not match the API secret';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      return (err as { claim?: unknown }).claim === 'iss'
        ? 'token was issued for another API key'
        : 'token claims invalid';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'token is not a valid JWT';
    default:
      return 'token rejected';
  }
}
