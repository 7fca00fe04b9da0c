import {
  AudioStream,
  RoomEvent,
  TrackKind,
  VideoBufferType,
  VideoStream,
  type RemoteParticipant,
  type RemoteTrack,
  type RemoteTrackPublication,
} from '@livekit/rtc-node';
import { AbortedBeforeStartError, EgressError, describeError } from '#domain/errors.ts';
import type { Logger } from '#shared/logger.ts';
import { pipedAudioChannels, pipedAudioRate } from '../../encoder/encoder-args.ts';
import type { I420Picture } from '../../pipelines/tracks/pgmyuv.ts';
import { RtcRoom, type SourceEnd } from '../rtc-room.ts';
import { notFound, type TrackMatcher, type TrackSelection } from './track-selection.ts';

/** What the source hands on, as decoded. */
export interface TrackMediaEvents {
  /** Interleaved stereo s16 at 48 kHz. */
  readonly onAudio: (samples: Int16Array) => void;
  readonly onAudioAbsent: () => void;
  /** A decoded picture and when libwebrtc means it to be shown (`performance.now()` milliseconds). */
  readonly onVideo: (picture: I420Picture, renderAtMs: number) => void;
  readonly onVideoAbsent: () => void;
  /**
   * The source is over: every selected track unpublished, the participant left, the room closed, or the
   * connection lost (`lost` says why: the egress fails once its outputs are finalised).
   */
  readonly onEnd: (end: SourceEnd, lost?: EgressError) => void;
}

/** How long a participant egress waits for the participant's tracks once the participant is there. */
const softTrackWaitMs = 3_000;

type Slot = 'audio' | 'video';

/**
 * One participant's audio and/or video decoded by `@livekit/rtc-node` (track composite, participant
 * egress). Waits for what the selection names (404 when it does not appear in time), subscribes, and
 * decodes; for a participant egress a track unpublished and published again is picked up again, and the
 * egress ends when the participant leaves; a track composite ends when all of its tracks are unpublished.
 */
export class TrackMediaSource {
  private readonly current = new Map<Slot, RemoteTrackPublication>();
  private readonly readers = new Set<ReadableStreamDefaultReader<unknown>>();
  private events: TrackMediaEvents | undefined;
  /** Slots that have delivered media at least once. */
  private readonly delivered = new Set<Slot>();
  private ended = false;
  private readonly offRoom: (() => void)[] = [];

  private constructor(
    private readonly room: RtcRoom,
    private readonly selection: TrackSelection,
    private readonly logger: Logger,
  ) {}

  /** Joins the room and waits for the selected tracks (or participant). */
  static async open(
    url: string,
    token: string,
    selection: TrackSelection,
    options: {
      readonly waitMs: number;
      readonly signal: AbortSignal;
      readonly logger: Logger;
      readonly reconnectWindowMs: number;
    },
  ): Promise<TrackMediaSource> {
    const room = await RtcRoom.connect(url, token, options.logger, options.reconnectWindowMs);
    const source = new TrackMediaSource(room, selection, options.logger);
    try {
      await source.waitForSelection(options.waitMs, options.signal);
      return source;
    } catch (err) {
      await room.close();
      throw err;
    }
  }

  /** Subscribes to what is there and starts decoding; later publications are picked up as they come. */
  start(events: TrackMediaEvents): void {
    this.events = events;
    const onPublished = (publication: RemoteTrackPublication, participant: RemoteParticipant): void => {
      // Published again by the SDK's reconnect: subscribed once it is over (a request sent before is lost).
      if (this.room.reconnecting) return;
      const slot = this.slotFor(publication, participant);
      if (slot !== undefined && !this.current.has(slot)) this.attach(slot, publication);
    };
    const onUnpublished = (publication: RemoteTrackPublication): void => this.detach(publication);
    // An unmute needs nothing: the frames come again and replace the silence or black.
    const onMuted = (publication: { sid?: string | undefined }): void => this.muted(publication.sid);
    // While the SDK reconnects it drops every participant and track, then publishes them again: not an end.
    const onLeft = (participant: RemoteParticipant): void => {
      if (this.selection.participant === participant.identity && !this.room.reconnecting) this.end('participant left');
    };
    const onDisconnected = (): void => {
      if (this.room.lost === undefined) this.end('room disconnected');
    };
    this.offRoom.push(
      this.room.onLost(() => this.end('connection lost')),
      this.room.onRestored(() => this.checkBack()),
    );
    const room = this.room.room;
    room
      .on(RoomEvent.TrackPublished, onPublished)
      .on(RoomEvent.TrackUnpublished, onUnpublished)
      .on(RoomEvent.TrackMuted, onMuted)
      .on(RoomEvent.ParticipantDisconnected, onLeft)
      .on(RoomEvent.Disconnected, onDisconnected);
    this.offRoom.push(() => {
      room
        .off(RoomEvent.TrackPublished, onPublished)
        .off(RoomEvent.TrackUnpublished, onUnpublished)
        .off(RoomEvent.TrackMuted, onMuted)
        .off(RoomEvent.ParticipantDisconnected, onLeft)
        .off(RoomEvent.Disconnected, onDisconnected);
    });
    if (this.selection.audio !== undefined && !this.current.has('audio')) events.onAudioAbsent();
    for (const [slot, publication] of [...this.current]) this.attach(slot, publication);
  }

  /**
   * Resolves once every selected track that is there has delivered its first decoded media (a video needs
   * its subscription and a keyframe: up to a second), at the latest after `timeoutMs` or on `signal`.
   */
  async firstMedia(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const ready = (): boolean => [...this.current.keys()].every((slot) => this.delivered.has(slot));
    while (!ready() && !signal.aborted && !this.ended && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops decoding and leaves the room. */
  async close(): Promise<void> {
    this.ended = true;
    for (const off of this.offRoom.splice(0)) off();
    await Promise.all([...this.readers].map((reader) => reader.cancel().catch(() => undefined)));
    await this.room.close();
  }

  private async waitForSelection(waitMs: number, signal: AbortSignal): Promise<void> {
    const matchers = [this.selection.audio, this.selection.video].filter((m) => m !== undefined);
    const identity = this.selection.participant;
    if (identity !== undefined) {
      await this.waitUntil(
        () => this.participant(identity) !== undefined,
        waitMs,
        signal,
        () => new EgressError('not_found', `participant ${identity} not found`),
      );
      await this.waitUntil(() => matchers.every((m) => this.find(m) !== undefined), softTrackWaitMs, signal);
    } else {
      for (const matcher of matchers) {
        await this.waitUntil(
          () => this.find(matcher) !== undefined,
          waitMs,
          signal,
          () => notFound(matcher, false),
        );
      }
    }
    for (const [slot, publication] of this.publishedSelection()) this.current.set(slot, publication);
  }

  /** The selected tracks that are published now, by slot. */
  private publishedSelection(): [Slot, RemoteTrackPublication][] {
    const found: [Slot, RemoteTrackPublication][] = [];
    for (const [slot, matcher] of [
      ['audio', this.selection.audio],
      ['video', this.selection.video],
    ] as const) {
      const publication = matcher === undefined ? undefined : this.find(matcher);
      if (publication !== undefined) found.push([slot, publication]);
    }
    return found;
  }

  /** Polls `ready` (room events land between polls) until it holds, the time is up or the stop comes. */
  private async waitUntil(
    ready: () => boolean,
    timeoutMs: number,
    signal: AbortSignal,
    timeoutError?: () => EgressError,
  ): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!ready()) {
      if (signal.aborted) throw new AbortedBeforeStartError();
      if (performance.now() >= deadline) {
        if (timeoutError !== undefined) throw timeoutError();
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  private participant(identity: string): RemoteParticipant | undefined {
    for (const participant of this.room.room.remoteParticipants.values()) {
      if (participant.identity === identity) return participant;
    }
    return undefined;
  }

  private find(matcher: TrackMatcher): RemoteTrackPublication | undefined {
    for (const participant of this.room.room.remoteParticipants.values()) {
      for (const publication of participant.trackPublications.values()) {
        if (matches(matcher, publication, participant)) {
          if (publication.kind !== matcher.kind) {
            throw new EgressError(
              'invalid_argument',
              `${matcher.kind === TrackKind.KIND_AUDIO ? 'audio_track_id' : 'video_track_id'} invalid`,
            );
          }
          return publication;
        }
      }
    }
    return undefined;
  }

  private slotFor(publication: RemoteTrackPublication, participant: RemoteParticipant): Slot | undefined {
    const { audio, video } = this.selection;
    if (audio !== undefined && matches(audio, publication, participant) && publication.kind === audio.kind) {
      return 'audio';
    }
    if (video !== undefined && matches(video, publication, participant) && publication.kind === video.kind) {
      return 'video';
    }
    return undefined;
  }

  private attach(slot: Slot, publication: RemoteTrackPublication): void {
    this.current.set(slot, publication);
    const participant = [...this.room.room.remoteParticipants.values()].find((p) =>
      [...p.trackPublications.values()].includes(publication),
    );
    if (participant === undefined) return;
    this.logger.info('subscribing', { slot, track: publication.sid, mime: publication.mimeType });
    this.room
      .subscribe({ publication, participant })
      .then((track) => {
        if (this.ended || this.current.get(slot) !== publication) return;
        if (slot === 'audio') this.readAudio(track, publication);
        else this.readVideo(track, publication);
      })
      .catch((err: unknown) => this.logger.warn('subscription failed', { slot, error: describeError(err) }));
  }

  private detach(publication: RemoteTrackPublication): void {
    for (const [slot, current] of this.current) {
      if (current.sid !== publication.sid) continue;
      this.current.delete(slot);
      this.logger.info('track unpublished', { slot, track: publication.sid });
      if (slot === 'audio') this.events?.onAudioAbsent();
      else this.events?.onVideoAbsent();
    }
    // A track composite is over once none of its tracks is left; a participant's tracks may come back.
    const over = this.selection.participant === undefined && this.current.size === 0;
    if (over && !this.room.reconnecting) this.end('track unpublished');
  }

  /**
   * After a reconnect: the selected tracks (or the participant) are normally back already, and are
   * subscribed again now. What is not back by the end of the reconnect window counts as lost.
   */
  private checkBack(): void {
    for (const [slot, publication] of this.publishedSelection()) {
      if (!this.current.has(slot)) this.attach(slot, publication);
    }
    const back = (): boolean =>
      this.selection.participant === undefined
        ? this.current.size > 0
        : this.participant(this.selection.participant) !== undefined;
    if (back()) return;
    this.logger.warn('selected tracks not back after the reconnect; waiting to the end of the window');
    const timer = setTimeout(
      () => {
        if (!back()) this.room.lose('lost the connection to the room: the recorded tracks did not come back');
      },
      Math.max(0, this.room.windowEndsAt - Date.now()),
    );
    this.offRoom.push(() => clearTimeout(timer));
  }

  private muted(sid: string | undefined): void {
    for (const [slot, current] of this.current) {
      if (current.sid !== sid) continue;
      if (slot === 'audio') this.events?.onAudioAbsent();
      else this.events?.onVideoAbsent();
    }
  }

  private readAudio(track: RemoteTrack, publication: RemoteTrackPublication): void {
    const reader = new AudioStream(track, { sampleRate: pipedAudioRate, numChannels: pipedAudioChannels }).getReader();
    void this.pump(reader, publication, 'audio', (frame) => this.events?.onAudio(frame.data));
  }

  private readVideo(track: RemoteTrack, publication: RemoteTrackPublication): void {
    const reader = new VideoStream(track).getReader();
    void this.pump(reader, publication, 'video', (event) => {
      const frame = event.frame.type === VideoBufferType.I420 ? event.frame : event.frame.convert(VideoBufferType.I420);
      this.events?.onVideo(
        { width: frame.width, height: frame.height, data: frame.data },
        renderTimeMs(event.timestampUs),
      );
    });
  }

  private async pump<T>(
    reader: ReadableStreamDefaultReader<T>,
    publication: RemoteTrackPublication,
    slot: Slot,
    deliver: (value: T) => void,
  ): Promise<void> {
    this.readers.add(reader);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || this.ended || this.current.get(slot) !== publication) return;
        deliver(value);
        this.delivered.add(slot);
      }
    } catch (err) {
      if (!this.ended) this.logger.warn('decoding stopped', { slot, error: describeError(err) });
    } finally {
      this.readers.delete(reader);
      // Cancelled, not just released: a replaced track's decoder stops here.
      await reader.cancel().catch(() => undefined);
    }
  }

  private end(end: SourceEnd): void {
    if (this.ended) return;
    this.ended = true;
    this.logger.info('source ended', { end });
    this.events?.onEnd(end, end === 'connection lost' ? this.room.lost : undefined);
  }
}

/**
 * A frame's render time (libwebrtc's, in CLOCK_MONOTONIC microseconds: the capture time mapped to this
 * clock plus the jitter buffer's delay, smoother than when the frame happens to reach JavaScript) on the
 * `performance.now()` clock.
 */
function renderTimeMs(timestampUs: bigint): number {
  const monotonicMs = Number(process.hrtime.bigint() / 1000n) / 1000;
  const renderMs = Number(timestampUs) / 1000;
  // Far off (a frame without a render time): now.
  return Math.abs(renderMs - monotonicMs) > 1_000 ? performance.now() : performance.now() + (renderMs - monotonicMs);
}

function matches(matcher: TrackMatcher, publication: RemoteTrackPublication, participant: RemoteParticipant): boolean {
  if (matcher.by === 'sid') return publication.sid === matcher.sid;
  const source = publication.source;
  return participant.identity === matcher.identity && source !== undefined && matcher.sources.includes(source);
}
