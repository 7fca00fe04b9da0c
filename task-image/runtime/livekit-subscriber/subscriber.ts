/**
 * A hidden LiveKit participant that receives tracks as RTP, without decoding: LiveKit's signalling over a
 * WebSocket (protobuf from `@livekit/protocol`) and WebRTC from werift.
 *
 * - {@link LiveKitSubscriber.connect} joins with the caller's token (hidden recorder, auto-subscribe off).
 * - The room's tracks are known from the JoinResponse and every ParticipantUpdate; events report changes.
 * - {@link LiveKitSubscriber.subscribe} subscribes to exactly one track and returns its RTP.
 * - The session ends on {@link LiveKitSubscriber.close}, a Leave from the server, a dropped WebSocket,
 *   unanswered pings or a failed peer connection; `disconnected` says which.
 */
import { DisconnectReason, LeaveRequest_Action, SignalTarget } from '@livekit/protocol';
import type { JoinResponse, LeaveRequest, SignalResponse } from '@livekit/protocol';
import { registerSecret, type Logger } from '#shared/logger.ts';
import { LiveKitSubscriberError, SubscriberDisconnectedError, TrackNotFoundError } from './errors.ts';
import type { DisconnectCause } from './errors.ts';
import { loopbackIcePolicy, type IcePolicy } from './ice-policy.ts';
import { Keepalive } from './keepalive.ts';
import { TypedEvents, type Unsubscribe } from './listeners.ts';
import { RoomState, type RemoteTrack } from './room-state.ts';
import { openSignalConnection, type SignalConnection, type SignalMessage } from './signal-connection.ts';
import type { SubscribedTrack, TrackEndReason } from './subscribed-track.ts';
import { SubscriberPeer } from './subscriber-peer.ts';
import { Subscriptions } from './subscriptions.ts';
import { applyRoomChanges, logOtherMessage, type SubscriberEvents } from './subscriber-events.ts';
import { TrackWaiters } from './track-waiters.ts';

/** Options of {@link LiveKitSubscriber.connect}. */
export interface LiveKitSubscriberOptions {
  /** LiveKit URL, `ws(s)://…` or `http(s)://…`. */
  readonly url: string;
  /** Join token: identity = egress id; grants roomJoin, room, canSubscribe, hidden, recorder. */
  readonly token: string;
  readonly logger: Logger;
  /** Aborts a pending connect; after connecting, closes the subscriber. */
  readonly signal?: AbortSignal;
  /** Milliseconds for the WebSocket and the JoinResponse. @default 10000 */
  readonly timeoutMs?: number;
  /** Where ICE may gather and connect. @default {@link loopbackIcePolicy} (127.0.0.0/8 only, no STUN) */
  readonly icePolicy?: IcePolicy;
}

/** Timeouts of {@link LiveKitSubscriber.subscribe}. */
export interface SubscribeOptions {
  /** Milliseconds to wait for the track to be published. @default 30000 (LiveKit egress's wait) */
  readonly trackTimeoutMs?: number;
  /** Milliseconds from the request until the track arrives on a connected peer connection. @default 15000 */
  readonly subscribeTimeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A connected LiveKit subscriber. */
export class LiveKitSubscriber {
  /** Room name and sid from the JoinResponse. */
  readonly room: { readonly name: string; readonly sid: string };
  /** This participant's sid and identity. */
  readonly participant: { readonly sid: string; readonly identity: string };
  private readonly events: TypedEvents<SubscriberEvents>;
  private readonly state: RoomState;
  private readonly peer: SubscriberPeer;
  private readonly subscriptions: Subscriptions;
  private readonly waiters: TrackWaiters;
  private readonly keepalive: Keepalive;
  private latestToken: string;
  private shutdown: Promise<void> | undefined;
  private endError: LiveKitSubscriberError | undefined;
  private readonly abortSignal: AbortSignal | undefined;
  private readonly onAbort = (): void => void this.close();

  /** Joins the room; rejects with a {@link SubscriberConnectError} on any failure, never hangs. */
  static async connect(options: LiveKitSubscriberOptions): Promise<LiveKitSubscriber> {
    registerSecret(options.token);
    const logger = options.logger.child({ component: 'livekit-subscriber' });
    const started = Date.now();
    const { connection, join } = await openSignalConnection({
      url: options.url,
      token: options.token,
      logger,
      timeoutMs: options.timeoutMs ?? 10_000,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    logger.info('joined room', {
      room: join.room?.name,
      participantSid: join.participant?.sid,
      ms: Date.now() - started,
    });
    try {
      return new LiveKitSubscriber(connection, join, options, logger);
    } catch (err) {
      // e.g. an invalid ICE policy: the open socket must not outlive the failed connect.
      await connection.close(0);
      throw err;
    }
  }

  private constructor(
    private readonly connection: SignalConnection,
    join: JoinResponse,
    options: LiveKitSubscriberOptions,
    private readonly logger: Logger,
  ) {
    this.room = { name: join.room?.name ?? '', sid: join.room?.sid ?? '' };
    this.participant = { sid: join.participant?.sid ?? '', identity: join.participant?.identity ?? '' };
    this.latestToken = options.token;
    this.events = new TypedEvents<SubscriberEvents>(logger);
    this.state = new RoomState(this.participant.sid);
    this.state.apply(join.otherParticipants);
    this.waiters = new TrackWaiters();
    this.peer = new SubscriberPeer({
      policy: options.icePolicy ?? loopbackIcePolicy,
      logger,
      sendAnswer: (sdp, id) => this.send({ case: 'answer', value: { type: 'answer', sdp, id } }),
      sendCandidate: (candidateInit) =>
        this.send({ case: 'trickle', value: { candidateInit, target: SignalTarget.SUBSCRIBER } }),
      onTrack: (track) => this.subscriptions.trackArrived(track),
      publishedMimeType: (trackSid) => this.state.findTrack(trackSid)?.mimeType,
      onFailed: (err, what) => this.fail(what, `subscriber peer connection: ${err.message}`, err),
    });
    this.subscriptions = new Subscriptions((m) => this.send(m), this.peer, logger);
    this.keepalive = new Keepalive({
      intervalMs: join.pingInterval * 1000,
      timeoutMs: join.pingTimeout * 1000,
      sendPing: (timestamp, rtt) =>
        this.send({ case: 'pingReq', value: { timestamp: BigInt(timestamp), rtt: BigInt(rtt) } }),
      onTimeout: () => this.fail('ping-timeout', `no message from LiveKit for ${join.pingTimeout} s`),
    });
    connection.onClose((code, reason) => this.fail('signal-closed', `signal connection closed (${code} ${reason})`));
    connection.onMessage((response) => this.handle(response));
    this.keepalive.start();
    this.abortSignal = options.signal;
    this.abortSignal?.addEventListener('abort', this.onAbort, { once: true });
    if (this.abortSignal?.aborted === true) this.onAbort();
  }

  /** The newest join token (LiveKit refreshes it during the session); what a reconnect must use. */
  get token(): string {
    return this.latestToken;
  }

  /** True once the session has ended, by {@link close} or otherwise. */
  get closed(): boolean {
    return this.endError !== undefined;
  }

  /** Round trip of the signalling connection from the last pong, in milliseconds. */
  get signalRttMs(): number {
    return this.keepalive.rttMs;
  }

  /** Listens to an event until the returned function is called. */
  on<E extends keyof SubscriberEvents>(event: E, listener: (...args: SubscriberEvents[E]) => void): Unsubscribe {
    return this.events.on(event, listener);
  }

  /** Every audio/video track published in the room now. */
  tracks(): RemoteTrack[] {
    return this.state.tracks();
  }

  /** The published track with this sid, if there is one now. */
  findTrack(trackSid: string): RemoteTrack | undefined {
    return this.state.findTrack(trackSid);
  }

  /** Waits until the track is published; rejects with {@link TrackNotFoundError} after `timeoutMs`. */
  async waitForTrack(trackSid: string, timeoutMs = 30_000, signal?: AbortSignal): Promise<RemoteTrack> {
    this.assertOpen();
    const known = this.state.findTrack(trackSid);
    if (known !== undefined) return known;
    return this.waiters.wait(trackSid, timeoutMs, () => new TrackNotFoundError(trackSid, timeoutMs), signal);
  }

  /**
   * Subscribes to exactly this track, at its highest layer, and resolves once its RTP can flow. Rejects with
   * {@link TrackNotFoundError}, {@link SubscriptionFailedError}, or a `timeout` {@link LiveKitSubscriberError}.
   */
  async subscribe(trackSid: string, options: SubscribeOptions = {}): Promise<SubscribedTrack> {
    const track = await this.waitForTrack(trackSid, options.trackTimeoutMs ?? 30_000, options.signal);
    this.assertOpen();
    return this.subscriptions.subscribe(track, options.subscribeTimeoutMs ?? 15_000);
  }

  /**
   * Leaves the room and releases the WebSocket, the peer connection and every timer; idempotent.
   *
   * Race guarded: close() can run while a server Leave, a dropped socket, a ping timeout or an ICE failure is
   * ending the session, while subscribe() calls are pending, or from inside a listener that the ending itself
   * calls (a track's `ended`). {@link end} marks the session ended synchronously, before any listener runs,
   * and every later call awaits the same promise: resources are released and `disconnected` is emitted once.
   */
  async close(): Promise<void> {
    await this.end(undefined);
  }

  private end(error: SubscriberDisconnectedError | undefined): Promise<void> {
    if (this.shutdown !== undefined) return this.shutdown;
    this.endError = error ?? new LiveKitSubscriberError('closed', 'subscriber closed');
    this.shutdown = this.release(error, this.endError);
    return this.shutdown;
  }

  private fail(cause: DisconnectCause, message: string, err?: unknown, leave?: LeaveRequest): void {
    if (this.endError !== undefined) return;
    const error = new SubscriberDisconnectedError(cause, message, {
      ...(err === undefined ? {} : { cause: err }),
      ...(leave === undefined
        ? {}
        : { leaveReason: DisconnectReason[leave.reason], leaveAction: LeaveRequest_Action[leave.action] }),
    });
    this.logger.warn('disconnected from LiveKit', { err: error });
    void this.end(error);
  }

  private async release(error: SubscriberDisconnectedError | undefined, endError: Error): Promise<void> {
    this.keepalive.stop();
    this.abortSignal?.removeEventListener('abort', this.onAbort);
    const reason: TrackEndReason = error === undefined ? 'closed' : 'disconnected';
    this.subscriptions.endAll(reason, endError);
    this.waiters.rejectAll(endError);
    if (error === undefined) {
      this.send({
        case: 'leave',
        value: { reason: DisconnectReason.CLIENT_INITIATED, action: LeaveRequest_Action.DISCONNECT },
      });
    }
    const results = await Promise.allSettled([this.peer.close(), this.connection.close()]);
    for (const r of results) if (r.status === 'rejected') this.logger.warn('cleanup step failed', { err: r.reason });
    this.events.emit('disconnected', error);
    this.events.clear();
  }

  private assertOpen(): void {
    if (this.endError !== undefined) throw this.endError;
  }

  private send(message: SignalMessage): void {
    if (this.endError !== undefined && message?.case !== 'leave') return;
    this.connection.send(message);
  }

  private handle(response: SignalResponse): void {
    this.keepalive.heard();
    const m = response.message;
    switch (m.case) {
      case 'offer':
        this.peer.handleOffer(m.value);
        return;
      case 'trickle':
        if (m.value.target === SignalTarget.SUBSCRIBER) this.peer.addRemoteCandidate(m.value.candidateInit);
        return;
      case 'leave':
        this.fail(
          'leave',
          `LiveKit asked to leave: ${DisconnectReason[m.value.reason] ?? m.value.reason}`,
          undefined,
          m.value,
        );
        return;
      case 'refreshToken':
        registerSecret(m.value);
        this.latestToken = m.value;
        return;
      case 'pongResp':
        this.keepalive.pong(Number(m.value.lastPingTimestamp));
        return;
      case 'subscriptionResponse':
        this.subscriptions.serverRefused(m.value.trackSid, m.value.err);
        return;
      case 'update':
        applyRoomChanges(this.state.apply(m.value.participants), this.waiters, this.subscriptions, this.events);
        return;
      default:
        logOtherMessage(response, this.logger);
    }
  }
}
