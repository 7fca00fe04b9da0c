import {
  AudioStream,
  Room,
  RoomEvent,
  TrackKind,
  type TrackSource,
  VideoBufferType,
  VideoStream,
  type RemoteTrack,
  type TrackPublication,
} from '@livekit/rtc-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { RtcBenchError } from './bench-errors.ts';
import { codeStripHeight, readFrameCode } from './frame-code.ts';
import { epochNow } from './pacer.ts';
import { joinToken, type RoomJoin } from './room-token.ts';
import { SAMPLE_RATE } from './sync-schedule.ts';

/** What the subscriber knows about a subscribed track. */
export interface ReceivedTrack {
  readonly trackSid: string;
  readonly participant: string;
  /** As negotiated, e.g. `audio/opus`, `video/VP8`. */
  readonly mimeType: string;
  readonly source: TrackSource | undefined;
}

/** Decoded mono 48 kHz audio of one subscribed track. */
export interface ReceivedAudio extends ReceivedTrack {
  /** Every sample so far, concatenated. */
  samples(): Int16Array;
  /** Arrival (epoch ms, see `epochNow`) of each decoded chunk and the index of its first sample. */
  readonly arrivals: { readonly sample: number; readonly at: number }[];
}

/** One decoded video frame, as analysed on arrival. */
export interface ReceivedVideoFrame {
  readonly at: number;
  /** The machine-readable frame number, or null if unreadable. */
  readonly number: number | null;
  /** Mean luma below the code strip (sampled): flash frames are near white. */
  readonly meanLuma: number;
  readonly width: number;
  readonly height: number;
}

/** Decoded frames of one subscribed video track. */
export interface ReceivedVideo extends ReceivedTrack {
  readonly frames: ReceivedVideoFrame[];
}

/** A track event seen by the subscriber. */
export interface TrackEventRecord {
  readonly at: number;
  readonly type: 'published' | 'unpublished' | 'subscribed' | 'unsubscribed' | 'muted' | 'unmuted';
  readonly kind: 'audio' | 'video' | 'unknown';
  readonly trackSid: string;
  readonly participant: string;
}

/** A receiving participant that decodes every track with rtc-node and keeps what it saw. */
export interface SyntheticSubscriber {
  readonly room: Room;
  readonly audio: ReadonlyMap<string, ReceivedAudio>;
  readonly video: ReadonlyMap<string, ReceivedVideo>;
  readonly events: readonly TrackEventRecord[];
  /** The first event (already seen or yet to come) matching `match`; rejects after `timeoutMs`. */
  waitForEvent(match: (event: TrackEventRecord) => boolean, timeoutMs: number): Promise<TrackEventRecord>;
  /** Ends the streams and leaves the room. Idempotent. */
  stop(): Promise<void>;
}

function kindOf(kind: TrackKind | undefined): TrackEventRecord['kind'] {
  if (kind === TrackKind.KIND_AUDIO) return 'audio';
  return kind === TrackKind.KIND_VIDEO ? 'video' : 'unknown';
}

/** Mean of every 4th pixel of every 4th row below the code strip. */
function meanLumaBelowStrip(y: Uint8Array, width: number, height: number): number {
  let sum = 0;
  let count = 0;
  for (let row = codeStripHeight(height); row < height; row += 4) {
    for (let x = 0; x < width; x += 4) {
      sum += y[row * width + x] ?? 0;
      count++;
    }
  }
  return count === 0 ? 0 : sum / count;
}

/** Reading loops over rtc-node streams, ended together by {@link StreamPumps.stop}. */
class StreamPumps {
  private readonly readers = new Set<ReadableStreamDefaultReader<unknown>>();
  private readonly loops: Promise<void>[] = [];

  /** Reads `stream` until it ends (track gone) or {@link stop}, handing each value to `onValue`. */
  add<T>(stream: ReadableStream<T>, onValue: (value: T) => void): void {
    const reader = stream.getReader();
    this.readers.add(reader);
    const loop = async (): Promise<void> => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        onValue(value);
      }
    };
    this.loops.push(loop().catch(() => undefined));
  }

  /** Cancels every reader and waits for the loops to return. */
  async stop(): Promise<void> {
    await Promise.all([...this.readers].map((reader) => reader.cancel().catch(() => undefined)));
    await Promise.all(this.loops);
  }
}

function recordAudio(track: RemoteTrack, info: ReceivedTrack, pumps: StreamPumps): ReceivedAudio {
  const chunks: Int16Array[] = [];
  const arrivals: { sample: number; at: number }[] = [];
  let total = 0;
  pumps.add(new AudioStream(track, { sampleRate: SAMPLE_RATE, numChannels: 1 }), (frame) => {
    arrivals.push({ sample: total, at: epochNow() });
    chunks.push(frame.data.slice(0, frame.samplesPerChannel));
    total += frame.samplesPerChannel;
  });
  const samples = (): Int16Array => {
    const out = new Int16Array(total);
    let offset = 0;
    for (const chunk of chunks) {
      out.set(chunk, offset);
      offset += chunk.length;
    }
    return out;
  };
  return { ...info, samples, arrivals };
}

function recordVideo(track: RemoteTrack, info: ReceivedTrack, pumps: StreamPumps): ReceivedVideo {
  const frames: ReceivedVideoFrame[] = [];
  pumps.add(new VideoStream(track), (event) => {
    const at = epochNow();
    const frame = event.frame.type === VideoBufferType.I420 ? event.frame : event.frame.convert(VideoBufferType.I420);
    const { width, height, data } = frame;
    frames.push({
      at,
      number: readFrameCode(data, width, height),
      meanLuma: meanLumaBelowStrip(data, width, height),
      width,
      height,
    });
  });
  return { ...info, frames };
}

async function waitForEvent(
  events: readonly TrackEventRecord[],
  match: (event: TrackEventRecord) => boolean,
  timeoutMs: number,
): Promise<TrackEventRecord> {
  const deadline = performance.now() + timeoutMs;
  // Polls the event list: bounded by the deadline, 20 ms apart.
  while (performance.now() < deadline) {
    const found = events.find(match);
    if (found !== undefined) return found;
    await sleep(20);
  }
  const seen = events.map((e) => `${e.type}:${e.kind}`).join(', ');
  throw new RtcBenchError(`no matching track event within ${timeoutMs} ms (seen: ${seen})`);
}

/** Joins `room` as `identity`, subscribes to everything and records decoded audio and video. */
export async function startSyntheticSubscriber(join: RoomJoin): Promise<SyntheticSubscriber> {
  const room = new Room();
  const audio = new Map<string, ReceivedAudio>();
  const video = new Map<string, ReceivedVideo>();
  const events: TrackEventRecord[] = [];
  const pumps = new StreamPumps();
  const record = (type: TrackEventRecord['type'], publication: TrackPublication, participant: string): void => {
    events.push({ at: epochNow(), type, kind: kindOf(publication.kind), trackSid: publication.sid ?? '', participant });
  };
  room
    .on(RoomEvent.TrackPublished, (pub, p) => record('published', pub, p.identity))
    .on(RoomEvent.TrackUnpublished, (pub, p) => record('unpublished', pub, p.identity))
    .on(RoomEvent.TrackMuted, (pub, p) => record('muted', pub, p.identity))
    .on(RoomEvent.TrackUnmuted, (pub, p) => record('unmuted', pub, p.identity))
    .on(RoomEvent.TrackUnsubscribed, (_track, pub, p) => record('unsubscribed', pub, p.identity))
    .on(RoomEvent.TrackSubscribed, (track, pub, p) => {
      record('subscribed', pub, p.identity);
      const info = {
        trackSid: pub.sid ?? '',
        participant: p.identity,
        mimeType: pub.mimeType ?? '',
        source: pub.source,
      };
      if (track.kind === TrackKind.KIND_AUDIO) audio.set(info.trackSid, recordAudio(track, info, pumps));
      else video.set(info.trackSid, recordVideo(track, info, pumps));
    });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    // Runs once; ending the reading loops first means no read is pending when the room's handles go away.
    stopping ??= pumps.stop().then(() => room.disconnect().catch(() => undefined));
    return stopping;
  };
  try {
    await room.connect(join.url, await joinToken(join, { publish: false, subscribe: true }), {
      autoSubscribe: true,
      dynacast: false,
    });
  } catch (err) {
    await stop();
    throw new RtcBenchError(`subscriber ${join.identity} could not join ${join.room}`, { cause: err });
  }
  return {
    room,
    audio,
    video,
    events,
    waitForEvent: (match, timeoutMs) => waitForEvent(events, match, timeoutMs),
    stop,
  };
}
