import {
  Room,
  RoomEvent,
  TrackKind,
  type RemoteParticipant,
  type RemoteTrack,
  type RemoteTrackPublication,
} from '@livekit/rtc-node';
import { AbortedBeforeStartError, EgressError, describeError } from '#domain/errors.ts';
import type { Logger } from '#shared/logger.ts';

/** A published track found in the room. */
export interface FoundTrack {
  readonly publication: RemoteTrackPublication;
  readonly participant: RemoteParticipant;
}

/** Why a subscribed source ended. */
export type SourceEnd = 'track unpublished' | 'participant left' | 'room disconnected';

/**
 * The room seen through `@livekit/rtc-node` (decoded media): connects as the hidden recorder with
 * auto-subscribe off, finds and subscribes one track, and reports when that track's source ends.
 */
export class RtcRoom {
  private closed: Promise<void> | undefined;

  private constructor(
    readonly room: Room,
    private readonly logger: Logger,
  ) {}

  /** Joins the room; a refused or unreachable server is a 503 "connection to room failed". */
  static async connect(url: string, token: string, logger: Logger): Promise<RtcRoom> {
    const room = new Room();
    try {
      await room.connect(url, token, { autoSubscribe: false, dynacast: false });
    } catch (err) {
      await room.disconnect().catch(() => undefined);
      throw new EgressError('unavailable', `connection to room failed: ${describeError(err)}`, { cause: err });
    }
    logger.info('joined room', { room: room.name });
    return new RtcRoom(room, logger);
  }

  /** Waits up to `timeoutMs` for track `trackSid` to be published; 404 "track X not found" otherwise. */
  async waitForTrack(trackSid: string, timeoutMs: number, signal: AbortSignal): Promise<FoundTrack> {
    const existing = this.findTrack(trackSid);
    if (existing !== undefined) return existing;
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.room.off(RoomEvent.TrackPublished, onPublished);
        signal.removeEventListener('abort', onAbort);
      };
      const onPublished = (publication: RemoteTrackPublication, participant: RemoteParticipant): void => {
        if (publication.sid !== trackSid) return;
        done();
        resolve({ publication, participant });
      };
      const onAbort = (): void => {
        done();
        reject(new AbortedBeforeStartError());
      };
      const timer = setTimeout(() => {
        done();
        reject(new EgressError('not_found', `track ${trackSid} not found`));
      }, timeoutMs);
      this.room.on(RoomEvent.TrackPublished, onPublished);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Subscribes to a found track and resolves with it once media can flow. */
  async subscribe(found: FoundTrack, timeoutMs = 30_000): Promise<RemoteTrack> {
    const sid = found.publication.sid;
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.room.off(RoomEvent.TrackSubscribed, onSubscribed);
        this.room.off(RoomEvent.TrackSubscriptionFailed, onFailed);
      };
      const onSubscribed = (track: RemoteTrack, publication: RemoteTrackPublication): void => {
        if (publication.sid !== sid) return;
        done();
        resolve(track);
      };
      const onFailed = (trackSid: string, _p: RemoteParticipant, reason?: string): void => {
        if (trackSid !== sid) return;
        done();
        reject(new EgressError('unavailable', `subscription to track ${trackSid} failed: ${reason ?? 'unknown'}`));
      };
      const timer = setTimeout(() => {
        done();
        reject(new EgressError('unavailable', `subscription to track ${String(sid)} timed out`));
      }, timeoutMs);
      this.room.on(RoomEvent.TrackSubscribed, onSubscribed);
      this.room.on(RoomEvent.TrackSubscriptionFailed, onFailed);
      found.publication.setSubscribed(true);
    });
  }

  /** Resolves when the track's source ends: unpublished, its publisher left, or the room connection closed. */
  watchEnd(found: FoundTrack, signal: AbortSignal): Promise<SourceEnd> {
    return new Promise((resolve) => {
      const finish = (end: SourceEnd): void => {
        this.room.off(RoomEvent.TrackUnpublished, onUnpublished);
        this.room.off(RoomEvent.ParticipantDisconnected, onLeft);
        this.room.off(RoomEvent.Disconnected, onDisconnected);
        resolve(end);
      };
      const onUnpublished = (publication: RemoteTrackPublication): void => {
        if (publication.sid === found.publication.sid) finish('track unpublished');
      };
      const onLeft = (participant: RemoteParticipant): void => {
        if (participant.identity === found.participant.identity) finish('participant left');
      };
      const onDisconnected = (): void => finish('room disconnected');
      this.room.on(RoomEvent.TrackUnpublished, onUnpublished);
      this.room.on(RoomEvent.ParticipantDisconnected, onLeft);
      this.room.on(RoomEvent.Disconnected, onDisconnected);
      signal.addEventListener('abort', () => {
        this.room.off(RoomEvent.TrackUnpublished, onUnpublished);
        this.room.off(RoomEvent.ParticipantDisconnected, onLeft);
        this.room.off(RoomEvent.Disconnected, onDisconnected);
      });
    });
  }

  /** Leaves the room. Idempotent: every caller awaits the same disconnect. */
  close(): Promise<void> {
    this.closed ??= this.room.disconnect().catch((err: unknown) => {
      this.logger.warn('room disconnect failed', { err });
    });
    return this.closed;
  }

  private findTrack(trackSid: string): FoundTrack | undefined {
    for (const participant of this.room.remoteParticipants.values()) {
      const publication = participant.trackPublications.get(trackSid);
      if (publication !== undefined) return { publication, participant };
    }
    return undefined;
  }
}

/** Whether a publication carries audio. */
export function isAudio(found: FoundTrack): boolean {
  return found.publication.kind === TrackKind.KIND_AUDIO;
}
