/**
 * A hidden LiveKit participant that receives tracks as RTP, without decoding: LiveKit's signalling over a
 * WebSocket (protobuf from `@livekit/protocol`) and WebRTC from werift.
 *
 * - {@link LiveKitSubscriber.connect} joins with the caller's token (hidden recorder, auto-subscribe off).
 * - The room's tracks are known from the JoinResponse and every ParticipantUpdate; events report changes.
 * - {@link LiveKitSubscriber.subscribe} subscribes to exactly one track and returns its RTP.
 * - A dropped WebSocket, unanswered pings, a failed peer connection or a Leave that asks for it do not end
 *   the session: it is resumed (same participant; LiveKit restarts ICE) or rejoined and the same tracks are
 *   subscribed again, within `reconnectWindowMs` ({@link Recovery}). The subscribed tracks keep their
 *   listeners: the outage is a gap in their RTP.
 * - The session ends on {@link LiveKitSubscriber.close}, a Leave that does not ask to reconnect (room
 *   deleted, removed), or when recovery gives up; `disconnected` says which.
 */
import { DisconnectReason, LeaveRequest_Action, SignalTarget } from '@livekit/protocol';
import type { JoinResponse, LeaveRequest, ParticipantInfo, SignalResponse } from '@livekit/protocol';
import { registerSecret, type Logger } from '#shared/logger.ts';
import { withTimeout } from '#shared/with-timeout.ts';
import {
  LiveKitSubscriberError,
  SubscriberConnectError,
  SubscriberDisconnectedError,
  TrackNotFoundError,
} from './errors.ts';
import type { DisconnectCause } from './errors.ts';
import { loopbackIcePolicy, type IcePolicy } from './ice-policy.ts';
import { Keepalive } from './keepalive.ts';
import { TypedEvents, type Unsubscribe } from './listeners.ts';
import { RoomState, type RemoteTrack } from './room-state.ts';
import { Recovery, ResumeRefusedError, type RecoveryMode } from './recovery.ts';
import {
  openSignalConnection,
  resumeSignalConnection,
  type SignalConnection,
  type SignalMessage,
} from './signal-connection.ts';
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
  /** How long a broken session is tried to be resumed or rejoined before it ends, ms; 0 ends it at once. @default 60000 */
  readonly reconnectWindowMs?: number;
}

/** How long a resumed session's peer connection may take to reconnect (LiveKit restarts ICE), ms. */
const peerReconnectMs = 10_000;

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
  private current: { sid: string; identity: string };
  private readonly events: TypedEvents<SubscriberEvents>;
  private state: RoomState;
  private peer: SubscriberPeer;
  private readonly subscriptions: Subscriptions;
  private readonly waiters: TrackWaiters;
  private keepalive: Keepalive;
  private latestToken: string;
  private recovery: Recovery | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
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
    private connection: SignalConnection,
    private join: JoinResponse,
    private readonly options: LiveKitSubscriberOptions,
    private readonly logger: Logger,
  ) {
    this.room = { name: join.room?.name ?? '', sid: join.room?.sid ?? '' };
    this.current = { sid: join.participant?.sid ?? '', identity: join.participant?.identity ?? '' };
    this.latestToken = options.token;
    this.events = new TypedEvents<SubscriberEvents>(logger);
    this.state = new RoomState(this.current.sid);
    this.state.apply(join.otherParticipants);
    this.waiters = new TrackWaiters();
    this.peer = this.createPeer();
    this.subscriptions = new Subscriptions(
      (m) => this.send(m),
      () => this.peer,
      logger,
    );
    this.keepalive = this.startKeepalive();
    this.attach(connection);
    this.abortSignal = options.signal;
    this.abortSignal?.addEventListener('abort', this.onAbort, { once: true });
    if (this.abortSignal?.aborted === true) this.onAbort();
  }

  /** This participant's sid (a rejoin gets a new one) and identity. */
  get participant(): { readonly sid: string; readonly identity: string } {
    return this.current;
  }

  /** The newest join token (LiveKit refreshes it during the session); what a reconnect must use. */
  get token(): string {
    return this.latestToken;
  }

  /** True once the session has ended, by {@link close} or otherwise. */
  get closed(): boolean {
    return this.endError !== undefined;
  }

  /** Why the session ended (undefined while it runs). */
  get error(): LiveKitSubscriberError | undefined {
    return this.endError;
  }

  /** True while a broken session is being resumed or rejoined. */
  get reconnecting(): boolean {
    return this.recovery !== undefined;
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
   * ending the session, while a recovery or subscribe() calls are pending, or from inside a listener that the
   * ending itself calls (a track's `ended`). {@link end} marks the session ended synchronously, before any
   * listener runs, and every later call awaits the same promise: resources are released and `disconnected`
   * is emitted once.
   */
  async close(): Promise<void> {
    await this.end(undefined);
  }

  private end(error: SubscriberDisconnectedError | undefined): Promise<void> {
    if (this.shutdown !== undefined) return this.shutdown;
    this.endError = error ?? new LiveKitSubscriberError('closed', 'subscriber closed');
    this.recovery?.cancel();
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

  /**
   * The signalling socket or the media path broke. Within the reconnect window the session is resumed (or,
   * when the server asks for it, rejoined); otherwise, or when that gives up, it ends.
   */
  private interrupted(cause: DisconnectCause, message: string, leave?: LeaveRequest): void {
    if (this.endError !== undefined || this.recovery !== undefined) return;
    const windowMs = this.options.reconnectWindowMs ?? 60_000;
    if (windowMs <= 0) {
      this.fail(cause, message, undefined, leave);
      return;
    }
    // A failed werift peer does not come back by an ICE restart: a new one (a rejoin) is needed.
    const mode: RecoveryMode =
      leave?.action === LeaveRequest_Action.RECONNECT || cause === 'negotiation-failed' || cause === 'peer-failed'
        ? 'rejoin'
        : 'resume';
    this.logger.warn('connection to LiveKit interrupted; reconnecting', { cause, message, mode, windowMs });
    this.keepalive.stop();
    const broken = this.connection;
    void broken.close(0);
    const recovery = new Recovery(
      {
        resume: () => this.resume(),
        rejoin: () => this.rejoin(),
        giveUp: (text, err) => this.fail('connection-lost', text, err),
        attemptFailed: (how, attempt, err) => this.logger.warn('reconnect attempt failed', { how, attempt, err }),
      },
      windowMs,
    );
    this.recovery = recovery;
    this.events.emit('reconnecting', cause);
    const started = Date.now();
    void recovery.run(mode).then((back) => {
      if (this.recovery === recovery) this.recovery = undefined;
      if (!back || this.endError !== undefined) return;
      this.logger.info('reconnected to LiveKit', { ms: Date.now() - started, participantSid: this.current.sid });
      this.events.emit('reconnected');
      this.watchStale(started + windowMs);
    });
  }

  /** Reattaches the socket to the same participant; the server then restarts ICE on the same peer. */
  private async resume(): Promise<void> {
    let opened;
    try {
      opened = await resumeSignalConnection(this.signalOptions(), { participantSid: this.current.sid });
    } catch (err) {
      if (
        err instanceof SubscriberConnectError &&
        err.reason === 'connect-failed' &&
        /refused the join/.test(err.message)
      ) {
        throw new ResumeRefusedError('connect-failed', err.message, { cause: err });
      }
      throw err;
    }
    this.takeOver(opened.connection);
    try {
      await withTimeout(this.peer.reconnected(), peerReconnectMs, 'the peer connection did not reconnect');
    } catch (err) {
      throw new ResumeRefusedError('connect-failed', describe(err), { cause: err });
    }
  }

  /** Joins again (a new participant sid, a new peer connection) and subscribes to the same tracks. */
  private async rejoin(): Promise<void> {
    const { connection, join } = await openSignalConnection(this.signalOptions());
    const old = this.peer;
    this.join = join;
    this.current = { sid: join.participant?.sid ?? '', identity: join.participant?.identity ?? '' };
    this.state = new RoomState(this.current.sid);
    this.peer = this.createPeer();
    this.takeOver(connection);
    await old.close().catch((err: unknown) => this.logger.debug('old peer close failed', { err }));
    const changes = this.state.apply(join.otherParticipants);
    this.subscriptions.resubscribeAll((sid) => this.state.findTrack(sid));
    applyRoomChanges(changes, this.waiters, this.subscriptions, this.events);
  }

  /** After a rejoin, tracks that have not come back by the end of the window end `connection-lost`. */
  private watchStale(deadline: number): void {
    clearTimeout(this.staleTimer);
    if (!this.subscriptions.hasStale()) return;
    this.staleTimer = setTimeout(
      () => {
        if (this.endError !== undefined || !this.subscriptions.hasStale()) return;
        const sids = this.subscriptions.staleSids().join(', ');
        this.fail(
          'connection-lost',
          `lost the connection to the room: track ${sids} did not come back after the rejoin`,
        );
      },
      Math.max(0, deadline - Date.now()),
    );
    this.staleTimer.unref();
  }

  private takeOver(connection: SignalConnection): void {
    this.connection = connection;
    this.keepalive.stop();
    this.keepalive = this.startKeepalive();
    this.attach(connection);
  }

  private attach(connection: SignalConnection): void {
    connection.onClose((code, reason) => {
      if (connection === this.connection) {
        this.interrupted('signal-closed', `signal connection closed (${code} ${reason})`);
      }
    });
    connection.onMessage((response) => {
      if (connection === this.connection) this.handle(response);
    });
  }

  private signalOptions(): Parameters<typeof openSignalConnection>[0] {
    return {
      url: this.options.url,
      token: this.latestToken,
      logger: this.logger,
      timeoutMs: this.options.timeoutMs ?? 10_000,
    };
  }

  private createPeer(): SubscriberPeer {
    const peer: SubscriberPeer = new SubscriberPeer({
      policy: this.options.icePolicy ?? loopbackIcePolicy,
      logger: this.logger,
      sendAnswer: (sdp, id) => this.send({ case: 'answer', value: { type: 'answer', sdp, id } }),
      sendCandidate: (candidateInit) =>
        this.send({ case: 'trickle', value: { candidateInit, target: SignalTarget.SUBSCRIBER } }),
      onTrack: (track) => this.subscriptions.trackArrived(track),
      publishedMimeType: (trackSid) => this.state.findTrack(trackSid)?.mimeType,
      onFailed: (err, what) => {
        if (peer === this.peer) this.interrupted(what, `subscriber peer connection: ${err.message}`);
      },
    });
    return peer;
  }

  private startKeepalive(): Keepalive {
    const { pingInterval, pingTimeout } = this.join;
    const keepalive = new Keepalive({
      intervalMs: pingInterval * 1000,
      timeoutMs: pingTimeout * 1000,
      sendPing: (timestamp, rtt) =>
        this.send({ case: 'pingReq', value: { timestamp: BigInt(timestamp), rtt: BigInt(rtt) } }),
      onTimeout: () => this.interrupted('ping-timeout', `no message from LiveKit for ${pingTimeout} s`),
    });
    keepalive.start();
    return keepalive;
  }

  private async release(error: SubscriberDisconnectedError | undefined, endError: Error): Promise<void> {
    this.keepalive.stop();
    clearTimeout(this.staleTimer);
    this.abortSignal?.removeEventListener('abort', this.onAbort);
    const reason: TrackEndReason =
      error === undefined ? 'closed' : error.disconnectCause === 'connection-lost' ? 'connection-lost' : 'disconnected';
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
        this.leave(m.value);
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
        this.applyUpdate(m.value.participants);
        return;
      default:
        logOtherMessage(response, this.logger);
    }
  }

  /** A Leave that asks to resume or reconnect (server shutdown, migration) is an interruption; others end. */
  private leave(leave: LeaveRequest): void {
    const why = `LiveKit asked to leave: ${DisconnectReason[leave.reason] ?? leave.reason}`;
    if (leave.action === LeaveRequest_Action.RESUME || leave.action === LeaveRequest_Action.RECONNECT) {
      this.interrupted('leave', why, leave);
      return;
    }
    this.fail('leave', why, undefined, leave);
  }

  private applyUpdate(participants: readonly ParticipantInfo[]): void {
    applyRoomChanges(this.state.apply(participants), this.waiters, this.subscriptions, this.events);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
