/**
 * Typed errors of the muxers. A recorder fails for one of two reasons: the track's codec has no container
 * here (the request's fault: LiveKit answers "… is not yet supported"), or the byte sink failed or fell too
 * far behind (the destination's fault). Errors a sink throws that are already {@link EgressError}s pass
 * through unchanged, so a storage adapter's own classification survives.
 */
import { EgressError, type TwirpCode } from '#domain/errors.ts';

/** What went wrong, in one word a caller can switch on. */
export type MuxerErrorReason = 'unsupported-codec' | 'sink-failed' | 'sink-backlog';

const codeOf: Readonly<Record<MuxerErrorReason, TwirpCode>> = {
  'unsupported-codec': 'invalid_argument',
  'sink-failed': 'unavailable',
  'sink-backlog': 'resource_exhausted',
};

/** Base class of every error this module raises. */
export class MuxerError extends EgressError {
  override readonly name: string = 'MuxerError';
  readonly reason: MuxerErrorReason;

  constructor(reason: MuxerErrorReason, message: string, options: { readonly cause?: unknown } = {}) {
    super(codeOf[reason], message, {
      fault: reason === 'unsupported-codec' ? 'request' : 'destination',
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.reason = reason;
  }
}

/** The track's codec cannot be written without transcoding (RED, PCMU/PCMA, AV1, …). */
export class UnsupportedCodecError extends MuxerError {
  override readonly name: string = 'UnsupportedCodecError';
  readonly mimeType: string;

  constructor(mimeType: string, detail?: string) {
    super('unsupported-codec', `${mimeType} is not yet supported${detail === undefined ? '' : ` (${detail})`}`);
    this.mimeType = mimeType;
  }
}

/** The byte sink rejected a write with an error that was not an {@link EgressError} already. */
export class SinkWriteError extends MuxerError {
  override readonly name: string = 'SinkWriteError';

  constructor(cause: unknown) {
    super('sink-failed', 'writing the recording to storage failed', { cause });
  }
}

/** The sink accepted bytes more slowly than the track produced them, past the allowed backlog. */
export class SinkBacklogError extends MuxerError {
  override readonly name: string = 'SinkBacklogError';

  constructor(pendingBytes: number, limitBytes: number) {
    super('sink-backlog', `storage is too slow: ${pendingBytes} bytes waiting, limit ${limitBytes}`);
  }
}
