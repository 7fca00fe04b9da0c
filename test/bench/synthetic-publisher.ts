import { Room, type LocalTrack } from '@livekit/rtc-node';
import { createLogger, type Logger } from '#shared/logger.ts';
import { RtcBenchError } from './bench-errors.ts';
import { startContentClock, type ContentClock, type PacerStats } from './pacer.ts';
import { publishLane, shutDown, startAudioLane, startVideoLane, type Lane } from './publisher-lanes.ts';
import { joinToken, type RoomJoin } from './room-token.ts';
import { muteLocalTrack } from './rtc-mute.ts';
import { TestPattern } from './test-pattern.ts';

/** Video codecs rtc-node 1.1.0 publishes (all four were verified against livekit-server 1.13.5). */
export type VideoCodecName = 'vp8' | 'h264' | 'vp9' | 'av1';
/** A track kind of the synthetic participant. */
export type MediaKind = 'audio' | 'video';

/** The synthetic video track. */
export interface SyntheticVideoOptions {
  readonly codec: VideoCodecName;
  /** @default 640 */
  readonly width?: number;
  /** @default 360 */
  readonly height?: number;
  /** Whole frames per second. @default 30 */
  readonly fps?: number;
  /** Encoder's maximum bitrate. @default 800 */
  readonly bitrateKbps?: number;
}

/** What the synthetic participant publishes. */
export interface SyntheticPublisherOptions extends RoomJoin {
  /** Opus audio: the low tone with a beep each second. `{ frequency }` sets the tone. @default false */
  readonly audio?: boolean | { readonly frequency?: number };
  /** The test-pattern video. @default none */
  readonly video?: SyntheticVideoOptions;
  /** Publish the video with source SCREEN_SHARE instead of CAMERA (a VP8 video when `video` is unset). */
  readonly screenShare?: boolean;
  /** Simulcast layers for the video. @default false: one layer, so every receiver sees the same frames */
  readonly simulcast?: boolean;
  /** The media loops end on their own after this long. @default 30 minutes */
  readonly maxDurationMs?: number;
  readonly logger?: Logger;
}

/** A synthetic participant in a room. Content time zero is {@link startedAt}. */
export interface SyntheticPublisher {
  readonly identity: string;
  /** The rtc-node room, connected. */
  readonly room: Room;
  /** Epoch ms of content time zero: beep k and flash k are at `startedAt + k * 1000`. */
  readonly startedAt: number;
  /** Frame rate of the video, when there is one. */
  readonly fps: number | undefined;
  /** Sid of the current audio publication, if published. */
  readonly audioTrackSid: string | undefined;
  /** Sid of the current video publication, if published. */
  readonly videoTrackSid: string | undefined;
  mute(kind: MediaKind): Promise<void>;
  unmute(kind: MediaKind): Promise<void>;
  /** Unpublishes the track; its media loop keeps running on the same clock, ready for {@link republish}. */
  unpublish(kind: MediaKind): Promise<void>;
  /** Publishes the kind again as a new track (new sid) fed by the same source and clock; returns the sid. */
  republish(kind: MediaKind): Promise<string>;
  /** Frames emitted and skipped by each media loop. */
  stats(): { readonly audio?: PacerStats; readonly video?: PacerStats };
  /** Stops the media, leaves the room, frees the native sources. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Joins `room` as `identity` and publishes synthetic audio and/or video whose beeps and flashes come from
 * one monotonic clock, so A/V sync and frame cadence can be measured in whatever the egress produces.
 */
export async function startSyntheticPublisher(options: SyntheticPublisherOptions): Promise<SyntheticPublisher> {
  const logger = options.logger ?? createLogger({ component: 'synthetic-publisher', identity: options.identity });
  const video = options.video ?? (options.screenShare === true ? { codec: 'vp8' as const } : undefined);
  const pattern =
    video === undefined
      ? undefined
      : new TestPattern({ width: video.width ?? 640, height: video.height ?? 360, fps: video.fps ?? 30 });
  const room = new Room();
  const lanes = new Map<MediaKind, Lane>();
  let stopping: Promise<void> | undefined;
  // Runs once: a test's finally and an afterAll may both call stop, possibly concurrently.
  const stop = (): Promise<void> => (stopping ??= shutDown(room, lanes.values(), logger));
  let clock: ContentClock;
  try {
    await room.connect(options.url, await joinToken(options, { publish: true, subscribe: false }), {
      autoSubscribe: false,
      dynacast: false,
    });
    // Content time zero once joined: starting earlier would only make the loops skip the join's frames.
    clock = startContentClock();
    if (options.audio !== undefined && options.audio !== false) {
      const frequency = typeof options.audio === 'object' ? options.audio.frequency : undefined;
      lanes.set('audio', startAudioLane(clock, frequency, options.maxDurationMs));
    }
    if (pattern !== undefined && video !== undefined) {
      lanes.set('video', startVideoLane(clock, pattern, video, options));
    }
    for (const lane of lanes.values()) await publishLane(room, lane);
  } catch (err) {
    await stop();
    throw new RtcBenchError(`synthetic publisher ${options.identity} failed to start`, { cause: err });
  }
  return publisherHandle(options.identity, room, lanes, { startedAt: clock.startedAt, fps: pattern?.fps, stop });
}

function publisherHandle(
  identity: string,
  room: Room,
  lanes: ReadonlyMap<MediaKind, Lane>,
  rest: Pick<SyntheticPublisher, 'startedAt' | 'fps' | 'stop'>,
): SyntheticPublisher {
  const lane = (kind: MediaKind): Lane => {
    const found = lanes.get(kind);
    if (found === undefined) throw new RtcBenchError(`${identity} publishes no ${kind}`);
    return found;
  };
  const published = (kind: MediaKind): LocalTrack => {
    const track = lane(kind).track;
    if (track === undefined) throw new RtcBenchError(`${identity}'s ${kind} is not published`);
    return track;
  };
  return {
    identity,
    room,
    ...rest,
    get audioTrackSid() {
      return lanes.get('audio')?.sid;
    },
    get videoTrackSid() {
      return lanes.get('video')?.sid;
    },
    mute: async (kind) => {
      await muteLocalTrack(room, published(kind), true);
    },
    unmute: async (kind) => {
      await muteLocalTrack(room, published(kind), false);
    },
    unpublish: async (kind) => {
      const target = lane(kind);
      const track = published(kind);
      if (target.sid !== undefined) await room.localParticipant!.unpublishTrack(target.sid, true);
      target.sid = undefined;
      target.track = undefined;
      await track.close(false);
    },
    republish: async (kind) => {
      if (lane(kind).track !== undefined) throw new RtcBenchError(`${identity}'s ${kind} is still published`);
      return publishLane(room, lane(kind));
    },
    stats: () => ({ audio: lanes.get('audio')?.pacer.stats(), video: lanes.get('video')?.pacer.stats() }),
  };
}
