/**
 * Typed errors of the LiveKit subscriber. Each one says what failed (`reason`) and maps to the egress
 * domain's Twirp code, so the task controller can end an egress with LiveKit's own status and message
 * ("track not found" → 404) without knowing how the subscriber works inside.
 */
import { EgressError, type TwirpCode } from '#domain/errors.ts';

/** What went wrong, in one word a caller can switch on. */
export type SubscriberErrorReason =
  | 'unauthorized'
  | 'connect-failed'
  | 'timeout'
  | 'aborted'
  | 'track-not-found'
  | 'subscription-failed'
  | 'disconnected'
  | 'closed';

const codeOf: Readonly<Record<SubscriberErrorReason, TwirpCode>> = {
  unauthorized: 'permission_denied',
  'connect-failed': 'unavailable',
  timeout: 'deadline_exceeded',
  aborted: 'unavailable',
  'track-not-found': 'not_found',
  'subscription-failed': 'failed_precondition',
  disconnected: 'unavailable',
  closed: 'unavailable',
};

/** Base class of every error this module raises. */
export class LiveKitSubscriberError extends EgressError {
  override readonly name: string = 'LiveKitSubscriberError';
  readonly reason: SubscriberErrorReason;

  constructor(reason: SubscriberErrorReason, message: string, options: { readonly cause?: unknown } = {}) {
    super(codeOf[reason], message, options.cause === undefined ? {} : { cause: options.cause });
    this.reason = reason;
  }
}

/** The signalling connection could not be opened, or the server refused the join. */
export class SubscriberConnectError extends LiveKitSubscriberError {
  override readonly name: string = 'SubscriberConnectError';
  /** HTTP status the server answered the WebSocket upgrade with, when it answered at all. */
  readonly upgradeStatus: number | undefined;

  constructor(
    reason: 'unauthorized' | 'connect-failed' | 'timeout' | 'aborted',
    message: string,
    options: { readonly cause?: unknown; readonly upgradeStatus?: number } = {},
  ) {
    super(reason, message, options);
    this.upgradeStatus = options.upgradeStatus;
  }
}

/** The requested track did not appear in the room within the timeout. Message matches LiveKit egress's. */
export class TrackNotFoundError extends LiveKitSubscriberError {
  override readonly name: string = 'TrackNotFoundError';

  constructor(
    readonly trackSid: string,
    readonly timeoutMs: number,
  ) {
    super('track-not-found', `track ${trackSid} not found`);
  }
}

/** The server refused or could not complete a subscription (permission, codec, negotiation). */
export class SubscriptionFailedError extends LiveKitSubscriberError {
  override readonly name: string = 'SubscriptionFailedError';

  constructor(
    readonly trackSid: string,
    message: string,
    options: { readonly cause?: unknown } = {},
  ) {
    super('subscription-failed', message, options);
  }
}

/** Why a live session ended without the caller asking for it. */
export type DisconnectCause =
  | 'leave'
  | 'signal-closed'
  | 'signal-error'
  | 'ping-timeout'
  | 'peer-failed'
  | 'negotiation-failed'
  /** Recovery gave up: the window passed without getting the session back, or the server refused us. */
  | 'connection-lost';

/** The session ended: the server sent Leave, the WebSocket dropped, pings went unanswered, or ICE failed. */
export class SubscriberDisconnectedError extends LiveKitSubscriberError {
  override readonly name: string = 'SubscriberDisconnectedError';
  /** `DisconnectReason` name from a Leave, e.g. `ROOM_DELETED`. */
  readonly leaveReason: string | undefined;
  /** `LeaveRequest.Action` name from a Leave: `DISCONNECT`, `RESUME` or `RECONNECT`. */
  readonly leaveAction: string | undefined;

  constructor(
    readonly disconnectCause: DisconnectCause,
    message: string,
    options: {
      readonly cause?: unknown;
      readonly leaveReason?: string;
      readonly leaveAction?: string;
    } = {},
  ) {
    super('disconnected', message, options);
    this.leaveReason = options.leaveReason;
    this.leaveAction = options.leaveAction;
  }
}
