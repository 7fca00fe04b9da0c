/**
 * Subscriptions: asks the server for one track (`UpdateSubscription` + `UpdateTrackSettings` for the highest
 * layer), waits for that track to arrive on the peer connection, and owns the live {@link SubscribedTrack}s.
 */
import { SubscriptionError, VideoQuality } from '@livekit/protocol';
import type { Logger } from '#shared/logger.ts';
import { mediaCodecs } from './codecs.ts';
import { LiveKitSubscriberError, SubscriptionFailedError } from './errors.ts';
import type { RemoteTrack } from './room-state.ts';
import type { SignalMessage } from './signal-connection.ts';
import { SubscribedTrack, type TrackEndReason } from './subscribed-track.ts';
import type { PeerTrack, SubscriberPeer } from './subscriber-peer.ts';

interface Pending {
  readonly track: RemoteTrack;
  readonly resolve: (track: SubscribedTrack) => void;
  readonly reject: (err: Error) => void;
}

/** Pending and live subscriptions of one subscriber. */
export class Subscriptions {
  private readonly pending = new Map<string, Pending>();
  private readonly live = new Map<string, SubscribedTrack>();
  /** Live subscriptions waiting to arrive on a new peer connection after a rejoin. */
  private readonly stale = new Set<string>();

  constructor(
    private readonly send: (message: SignalMessage) => void,
    private readonly peer: () => SubscriberPeer,
    private readonly logger: Logger,
  ) {}

  /**
   * After a rejoin: every live subscription is asked for again on the new session, where its track is
   * published now (`find`); the others wait for {@link republished}.
   */
  resubscribeAll(find: (trackSid: string) => RemoteTrack | undefined): void {
    for (const sid of this.live.keys()) {
      this.stale.add(sid);
      const track = find(sid);
      if (track !== undefined) this.request(track, true);
    }
  }

  /** A track was published (again): a subscription waiting for it after a rejoin asks for it. */
  republished(track: RemoteTrack): void {
    if (this.stale.has(track.sid)) this.request(track, true);
  }

  /** Whether some live subscription has not arrived again since the rejoin. */
  hasStale(): boolean {
    return this.stale.size > 0;
  }

  /** Track sids of the live subscriptions that have not come back since the rejoin. */
  staleSids(): string[] {
    return [...this.stale];
  }

  /** The live subscription of a track, if any. */
  get(trackSid: string): SubscribedTrack | undefined {
    return this.live.get(trackSid);
  }

  /** Subscribes to `track`; resolves once it arrived on a connected peer connection. */
  async subscribe(track: RemoteTrack, timeoutMs: number): Promise<SubscribedTrack> {
    const existing = this.live.get(track.sid);
    if (existing !== undefined) return existing;
    if (this.pending.has(track.sid)) throw new SubscriptionFailedError(track.sid, 'already subscribing');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        reject(new LiveKitSubscriberError('timeout', `track ${track.sid} was not received within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    // Registered before the request goes out, so the track event of the answer cannot come first.
    const arrival = new Promise<SubscribedTrack>((resolve, reject) => {
      this.pending.set(track.sid, { track, resolve, reject });
    });
    this.request(track, true);
    try {
      const subscribed = await Promise.race([arrival, deadline]);
      await Promise.race([this.peer().connected(), deadline]);
      return subscribed;
    } catch (err) {
      this.pending.delete(track.sid);
      this.request(track, false);
      this.live.get(track.sid)?.end('unsubscribed');
      this.live.delete(track.sid);
      if (err instanceof LiveKitSubscriberError) throw err;
      throw new SubscriptionFailedError(track.sid, `peer connection did not connect: ${String(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** A track arrived on the peer connection: completes its pending subscription, if any. */
  trackArrived(peerTrack: PeerTrack): void {
    const restored = this.stale.has(peerTrack.trackSid) ? this.live.get(peerTrack.trackSid) : undefined;
    if (restored !== undefined) {
      this.stale.delete(peerTrack.trackSid);
      restored.rebind(() => mediaCodecs(peerTrack.transceiver.codecs), peerTrack.transceiver.receiver, peerTrack.track);
      return;
    }
    const pending = this.pending.get(peerTrack.trackSid);
    if (pending === undefined) {
      this.logger.debug('track arrived without a pending subscription', { trackSid: peerTrack.trackSid });
      return;
    }
    this.pending.delete(peerTrack.trackSid);
    // At this point (inside setRemoteDescription) the list is the offer's, before the answer narrowed it.
    if (mediaCodecs(peerTrack.transceiver.codecs).length === 0) {
      pending.reject(new SubscriptionFailedError(peerTrack.trackSid, 'no common codec negotiated'));
      return;
    }
    const subscribed = new SubscribedTrack(
      pending.track,
      () => mediaCodecs(peerTrack.transceiver.codecs),
      peerTrack.transceiver.receiver,
      peerTrack.track,
      this.logger.child({ trackSid: peerTrack.trackSid }),
      (t) => this.unsubscribe(t.trackSid),
    );
    this.live.set(peerTrack.trackSid, subscribed);
    this.logger.info('track subscribed', { trackSid: peerTrack.trackSid, kind: pending.track.kind });
    pending.resolve(subscribed);
  }

  /** The server could not subscribe (SubscriptionResponse with an error). */
  serverRefused(trackSid: string, error: SubscriptionError): void {
    const name = SubscriptionError[error] ?? String(error);
    this.reject(trackSid, new SubscriptionFailedError(trackSid, `LiveKit refused the subscription: ${name}`));
  }

  /** Ends the subscription of a track that is gone, and fails a pending one. */
  trackGone(trackSid: string, reason: TrackEndReason): void {
    this.reject(trackSid, new SubscriptionFailedError(trackSid, `track ${trackSid} went away (${reason})`));
    this.stale.delete(trackSid);
    this.live.get(trackSid)?.end(reason);
    this.live.delete(trackSid);
  }

  /** Forwards a mute change to the live subscription of the track. */
  setMuted(trackSid: string, muted: boolean): void {
    this.live.get(trackSid)?.setMuted(muted);
  }

  /** Ends everything: pending subscriptions reject with `err`, live ones end with `reason`. */
  endAll(reason: TrackEndReason, err: Error): void {
    for (const sid of [...this.pending.keys()]) this.reject(sid, err);
    for (const track of this.live.values()) track.end(reason);
    this.live.clear();
    this.stale.clear();
  }

  private unsubscribe(trackSid: string): Promise<void> {
    const track = this.live.get(trackSid);
    if (track !== undefined) {
      this.request(track.info, false);
      this.live.delete(trackSid);
      track.end('unsubscribed');
    }
    return Promise.resolve();
  }

  private reject(trackSid: string, err: Error): void {
    const pending = this.pending.get(trackSid);
    if (pending === undefined) return;
    this.pending.delete(trackSid);
    pending.reject(err);
  }

  private request(track: RemoteTrack, subscribe: boolean): void {
    this.send({
      case: 'subscription',
      value: {
        trackSids: [track.sid],
        subscribe,
        participantTracks: [{ participantSid: track.participant.sid, trackSids: [track.sid] }],
      },
    });
    if (!subscribe) return;
    // Highest layer: quality HIGH, and the published size, which the server maps to the top simulcast layer.
    this.send({
      case: 'trackSetting',
      value: {
        trackSids: [track.sid],
        disabled: false,
        quality: VideoQuality.HIGH,
        width: track.width,
        height: track.height,
      },
    });
  }
}
