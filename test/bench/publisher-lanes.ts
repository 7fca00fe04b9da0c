import {
  AudioFrame,
  AudioSource,
  LocalAudioTrack,
  LocalVideoTrack,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoCodec,
  VideoFrame,
  VideoSource,
  type LocalTrack,
  type Room,
} from '@livekit/rtc-node';
import type { Logger } from '#shared/logger.ts';
import { RtcBenchError } from './bench-errors.ts';
import { startPacer, type ContentClock, type Pacer } from './pacer.ts';
import { SAMPLE_RATE } from './sync-schedule.ts';
import type {
  MediaKind,
  SyntheticPublisherOptions,
  SyntheticVideoOptions,
  VideoCodecName,
} from './synthetic-publisher.ts';
import type { TestPattern } from './test-pattern.ts';
import { renderTone } from './tone.ts';

const codecs: Readonly<Record<VideoCodecName, VideoCodec>> = {
  vp8: VideoCodec.VP8,
  h264: VideoCodec.H264,
  vp9: VideoCodec.VP9,
  av1: VideoCodec.AV1,
};

/**
 * One published kind of the synthetic participant: a native source fed by a pacing loop on the shared
 * clock, and the track currently published from it (none while unpublished).
 */
export interface Lane {
  readonly kind: MediaKind;
  readonly source: AudioSource | VideoSource;
  readonly publishOptions: TrackPublishOptions;
  readonly pacer: Pacer;
  track?: LocalTrack;
  sid?: string;
}

/** Samples per channel in one 10 ms audio frame, the unit WebRTC consumes. */
const AUDIO_FRAME = SAMPLE_RATE / 100;

/** The audio lane: 10 ms frames of the tone, on the clock. */
export function startAudioLane(clock: ContentClock, frequency: number | undefined, maxDurationMs?: number): Lane {
  // No native queue (size 0): each 10 ms frame goes to WebRTC when the pacer captures it, at its content
  // time, as a microphone's would. With a queue, sound left when the SDK's own 10 ms timer drained it, a
  // queue's level after it: where that level settled at start-up differed between runs, and so did the
  // publisher's A/V offset (grid test, settled: −35…+57 ms over 13 runs with a 100 ms queue filled 60 ms
  // ahead; −66…−7 over 5 without).
  const source = new AudioSource(SAMPLE_RATE, 1, 0);
  const pacer = startPacer(clock, {
    periodMs: 10,
    // After a stall of this loop, up to 100 ms of sound is sent at once rather than skipped (a skip moves
    // every later beep earlier).
    maxBurst: 10,
    maxDurationMs,
    emit: (i) => {
      const samples = renderTone(i * AUDIO_FRAME, AUDIO_FRAME, { frequency });
      return source.captureFrame(new AudioFrame(samples, SAMPLE_RATE, 1, AUDIO_FRAME));
    },
  });
  const publishOptions = new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE, dtx: false, red: false });
  return { kind: 'audio', source, publishOptions, pacer };
}

/** The video lane: the test pattern at its frame rate, on the same clock (late frames are skipped). */
export function startVideoLane(
  clock: ContentClock,
  pattern: TestPattern,
  video: SyntheticVideoOptions,
  options: SyntheticPublisherOptions,
): Lane {
  const source = new VideoSource(pattern.width, pattern.height);
  const pacer = startPacer(clock, {
    periodMs: 1000 / pattern.fps,
    maxDurationMs: options.maxDurationMs,
    emit: (n) => {
      source.captureFrame(new VideoFrame(pattern.render(n), pattern.width, pattern.height, VideoBufferType.I420));
    },
  });
  const publishOptions = new TrackPublishOptions({
    source: options.screenShare === true ? TrackSource.SOURCE_SCREENSHARE : TrackSource.SOURCE_CAMERA,
    videoCodec: codecs[video.codec],
    videoEncoding: { maxBitrate: BigInt((video.bitrateKbps ?? 800) * 1000), maxFramerate: pattern.fps },
    simulcast: options.simulcast ?? false,
  });
  return { kind: 'video', source, publishOptions, pacer };
}

/** Publishes a new track fed by the lane's source; returns its sid. */
export async function publishLane(room: Room, lane: Lane): Promise<string> {
  const name = `synthetic-${lane.kind}`;
  const track =
    lane.source instanceof AudioSource
      ? LocalAudioTrack.createAudioTrack(name, lane.source)
      : LocalVideoTrack.createVideoTrack(name, lane.source);
  lane.track = track;
  const publication = await room.localParticipant!.publishTrack(track, lane.publishOptions);
  lane.sid = publication.sid;
  if (lane.sid === undefined) throw new RtcBenchError(`the ${lane.kind} publication has no sid`);
  return lane.sid;
}

/** Stops the lanes' loops, leaves the room and frees tracks and sources, in that order. */
export async function shutDown(room: Room, lanes: Iterable<Lane>, logger: Logger): Promise<void> {
  const all = [...lanes];
  await Promise.all(all.map(async (lane) => lane.pacer.stop()));
  for (const lane of all) {
    const error = lane.pacer.stats().error;
    if (error !== undefined) logger.warn(`the ${lane.kind} loop failed`, { err: error });
  }
  await room.disconnect().catch((err: unknown) => logger.warn('disconnect failed', { err }));
  for (const lane of all) {
    if (lane.track !== undefined) await lane.track.close(false);
    await lane.source.close();
  }
}
