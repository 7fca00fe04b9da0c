import {
  Room,
  RoomEvent,
  TrackKind,
  type RemoteParticipant,
  type RemoteTrack,
  type RemoteTrackPublication,
} from '@livekit/rtc-node';
import { DisconnectReason } from '@livekit/protocol';
import { AbortedBeforeStartError, EgressError, describeError } from '#domain/errors.ts';
import type { Logger } from '#shared/logger.ts';

/** A published track found in the room. */
export interface FoundTrack {
  readonly publication: RemoteTrackPublication;
  readonly participant: RemoteParticipant;
}

/**
 * Why a subscribed source ended. `connection lost`: the room connection broke and did not come back (with
 * the source's tracks) within the reconnect window: the outputs are finalised and the egress FAILS.
 */
export type SourceEnd = 'track unpublished' | 'participant left' | 'room disconnected' | 'connection lost';

/** Disconnect reasons that end a room on purpose (the egress completes); any other one is a lost connection. */
const deliberateEnds: ReadonlySet<number> = new Set([
  DisconnectReason.CLIENT_INITIATED,
  DisconnectReason.PARTICIPANT_REMOVED,
  DisconnectReason.ROOM_DELETED,
  DisconnectReason.ROOM_CLOSED,
]);

/**
 * The room seen through `@livekit/rtc-node` (decoded media): connects as the hidden recorder with
 * auto-subscribe off, finds and subscribes one track, and reports when that track's source ends.
 *
 * Reconnects are the SDK's: on a signal or media failure it emits `Reconnecting`, drops every remote
 * participant and track, rejoins and publishes them again before `Reconnected`. Sources ask
 * {@link reconnecting} so that what is dropped meanwhile is not taken for an end, and subscribe again once
 * their tracks are back. The connection counts as lost when `Reconnected` does not come within the window,
 * when the SDK gives up (`Disconnected` for any reason but a deliberate one), or when a source's tracks are
 * not back by the end of the window ({@link windowEndsAt}).
 */
export class RtcRoom {
  private closed: Promise<void> | undefined;
  private interruptedAt: number | undefined;
  private lastInterruption = 0;
  private windowTimer: NodeJS.Timeout | undefined;
  private lostWith: EgressError | undefined;
  private readonly lostListeners = new Set<(err: EgressError) => void>();
  private readonly restoredListeners = new Set<() => void>();

  private constructor(
    readonly room: Room,
    private readonly logger: Logger,
    private readonly windowMs: number,
  ) {
    room
      .on(RoomEvent.Reconnecting, () => this.interrupted())
      .on(RoomEvent.Reconnected, () => this.restored())
      .on(RoomEvent.Disconnected, (reason) => this.disconnected(reason));
  }

  /** Joins the room; a refused or unreachable server is a 503 "connection to room failed". */
  static async connect(url: string, token: string, logger: Logger, reconnectWindowMs = 60_000): Promise<RtcRoom> {
    const room = new Room();
    try {
      await room.connect(url, token, { autoSubscribe: false, dynacast: false });
    } catch (err) {
      await room.disconnect().catch(() => undefined);
      throw new EgressError('unavailable', `connection to room failed: ${describeError(err)}`, { cause: err });
    }
    logger.info('joined room', { room: room.name });
    return new RtcRoom(room, logger, reconnectWindowMs);
  }

  /** True between the SDK's `Reconnecting` and `Reconnected`. */
  get reconnecting(): boolean {
    return this.interruptedAt !== undefined;
  }

  /** Set once the connection is lost for good: why. */
  get lost(): EgressError | undefined {
    return this.lostWith;
  }

  /** When the window of the last interruption ends (epoch ms); 0 before any. */
  get windowEndsAt(): number {
    return this.lastInterruption === 0 ? 0 : this.lastInterruption + this.windowMs;
  }

  /** Runs once the connection is lost for good (at once if it already is). */
  onLost(listener: (err: EgressError) => void): () => void {
    if (this.lostWith !== undefined) listener(this.lostWith);
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** Runs after each reconnect, once the room's participants and tracks are back. */
  onRestored(listener: () => void): () => void {
    this.restoredListeners.add(listener);
    return () => this.restoredListeners.delete(listener);
  }

  /** Marks the connection lost (a source whose tracks did not come back); idempotent. */
  lose(message: string): void {
    if (this.lostWith !== undefined) return;
    clearTimeout(this.windowTimer);
    this.lostWith = new EgressError('unavailable', message);
    this.logger.warn('room connection lost', { error: message });
    for (const listener of [...this.lostListeners]) listener(this.lostWith);
  }

  private interrupted(): void {
    if (this.interruptedAt !== undefined || this.lostWith !== undefined) return;
    this.interruptedAt = Date.now();
    this.lastInterruption = this.interruptedAt;
    this.logger.warn('room connection interrupted; the SDK reconnects', { windowMs: this.windowMs });
    this.windowTimer = setTimeout(
      () => this.lose(`lost the connection to the room and could not get it back within ${this.windowMs / 1000} s`),
      this.windowMs,
    );
    this.windowTimer.unref();
  }

  private restored(): void {
    if (this.interruptedAt === undefined) return;
    clearTimeout(this.windowTimer);
    this.logger.info('room connection restored', { ms: Date.now() - this.interruptedAt });
    this.interruptedAt = undefined;
    for (const listener of [...this.restoredListeners]) listener();
  }

  private disconnected(reason: number): void {
    clearTimeout(this.windowTimer);
    if (this.closed !== undefined || deliberateEnds.has(reason)) return;
    this.lose(`lost the connection to the room (${DisconnectReason[reason] ?? reason})`);
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

  /**
   * Resolves when the track's source ends: unpublished, its publisher left, the room closed, or the
   * connection lost. Across a reconnect the track is found again and handed to `onBack` to subscribe anew.
   */
  watchEnd(found: FoundTrack, signal: AbortSignal, onBack?: (found: FoundTrack) => void): Promise<SourceEnd> {
    return new Promise((resolve) => {
      let backTimer: NodeJS.Timeout | undefined;
      const offs: (() => void)[] = [];
      const detach = (): void => {
        clearTimeout(backTimer);
        for (const off of offs.splice(0)) off();
        this.room.off(RoomEvent.TrackUnpublished, onUnpublished);
        this.room.off(RoomEvent.ParticipantDisconnected, onLeft);
        this.room.off(RoomEvent.Disconnected, onDisconnected);
      };
      const finish = (end: SourceEnd): void => {
        detach();
        resolve(end);
      };
      // While the SDK reconnects it drops every participant and track: not an end.
      const onUnpublished = (publication: RemoteTrackPublication): void => {
        if (publication.sid === found.publication.sid && !this.reconnecting) finish('track unpublished');
      };
      const onLeft = (participant: RemoteParticipant): void => {
        if (participant.identity === found.participant.identity && !this.reconnecting) finish('participant left');
      };
      const onDisconnected = (): void => finish(this.lost === undefined ? 'room disconnected' : 'connection lost');
      const onRestored = (): void => {
        const again = this.findTrack(found.publication.sid ?? '');
        if (again !== undefined) {
          onBack?.(again);
          return;
        }
        // Not back with the room: published again within the window, or the connection counts as lost.
        const onPublished = (publication: RemoteTrackPublication, participant: RemoteParticipant): void => {
          if (publication.sid !== found.publication.sid) return;
          clearTimeout(backTimer);
          this.room.off(RoomEvent.TrackPublished, onPublished);
          onBack?.({ publication, participant });
        };
        this.room.on(RoomEvent.TrackPublished, onPublished);
        offs.push(() => this.room.off(RoomEvent.TrackPublished, onPublished));
        backTimer = setTimeout(
          () => this.lose(`lost the connection to the room: track ${String(found.publication.sid)} did not come back`),
          Math.max(0, this.windowEndsAt - Date.now()),
        );
      };
      offs.push(
        this.onRestored(onRestored),
        this.onLost(() => finish('connection lost')),
      );
      this.room.on(RoomEvent.TrackUnpublished, onUnpublished);
      this.room.on(RoomEvent.ParticipantDisconnected, onLeft);
      this.room.on(RoomEvent.Disconnected, onDisconnected);
      signal.addEventListener('abort', detach, { once: true });
    });
  }

  /** Leaves the room. Idempotent: every caller awaits the same disconnect. */
  close(): Promise<void> {
    clearTimeout(this.windowTimer);
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
