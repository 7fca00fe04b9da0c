/**
 * What the subscriber does with room changes and with the signal messages it only logs.
 */
import type { SignalResponse } from '@livekit/protocol';
import type { Logger } from '#shared/logger.ts';
import type { DisconnectCause, SubscriberDisconnectedError } from './errors.ts';
import type { TypedEvents } from './listeners.ts';
import type { RemoteParticipant, RemoteTrack, RoomChange } from './room-state.ts';
import type { Subscriptions } from './subscriptions.ts';
import type { TrackWaiters } from './track-waiters.ts';

/** Events of a {@link LiveKitSubscriber}. */
export interface SubscriberEvents extends Record<string, unknown[]> {
  trackPublished: [track: RemoteTrack];
  trackUnpublished: [track: RemoteTrack];
  trackMuted: [track: RemoteTrack, muted: boolean];
  participantLeft: [participant: RemoteParticipant];
  /** The signalling socket or the media path broke; the session is being resumed or rejoined. */
  reconnecting: [cause: DisconnectCause];
  /** The session is back; subscribed tracks continue (after a rejoin, once each has arrived again). */
  reconnected: [];
  /** The session ended; `error` is undefined when {@link LiveKitSubscriber.close} ended it. */
  disconnected: [error: SubscriberDisconnectedError | undefined];
}

/**
 * Applies room changes: wakes track waiters, ends subscriptions of tracks that are gone ("participant-left"
 * when their publisher left in the same update, otherwise "unpublished"), forwards mutes, emits events.
 */
export function applyRoomChanges(
  changes: readonly RoomChange[],
  waiters: TrackWaiters,
  subscriptions: Subscriptions,
  events: TypedEvents<SubscriberEvents>,
): void {
  const left = new Set(changes.flatMap((c) => (c.type === 'participantLeft' ? [c.participant.sid] : [])));
  for (const change of changes) {
    switch (change.type) {
      case 'trackPublished':
        waiters.found(change.track);
        subscriptions.republished(change.track);
        events.emit('trackPublished', change.track);
        break;
      case 'trackUnpublished': {
        const reason = left.has(change.track.participant.sid) ? 'participant-left' : 'unpublished';
        subscriptions.trackGone(change.track.sid, reason);
        events.emit('trackUnpublished', change.track);
        break;
      }
      case 'trackMuted':
        subscriptions.setMuted(change.track.sid, change.muted);
        events.emit('trackMuted', change.track, change.muted);
        break;
      case 'participantLeft':
        events.emit('participantLeft', change.participant);
    }
  }
}

/** Logs signal messages a subscriber does not act on, at the level they deserve. */
export function logOtherMessage(response: SignalResponse, logger: Logger): void {
  const m = response.message;
  switch (m.case) {
    case 'trackUnpublished':
      // About the participant's own published tracks; remote unpublishes arrive as ParticipantUpdate.
      logger.debug('own track unpublished', { trackSid: m.value.trackSid });
      return;
    case 'requestResponse':
      logger.warn('LiveKit rejected a request', { reason: m.value.reason, message: m.value.message });
      return;
    case 'streamStateUpdate':
      // PAUSED means the server stopped forwarding (congestion); RTP simply stops until ACTIVE.
      for (const s of m.value.streamStates) logger.debug('stream state', { trackSid: s.trackSid, state: s.state });
      return;
    case 'roomMoved':
    case 'reconnect':
      logger.warn('unsupported signal message', { message: m.case });
      return;
    default:
      logger.debug('signal message', { message: m.case });
  }
}
