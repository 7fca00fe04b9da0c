/**
 * A tiny synthetic publisher for this module's tests: joins with `@livekit/rtc-node` and publishes a sine
 * tone or a moving test pattern. Not used by production code.
 *
 * rtc-node falls back to the JoinResponse's ICE servers (public STUN) when given none, so it gets one STUN
 * server on the loopback discard port instead: nothing it sends can leave the machine.
 */
import {
  AudioFrame,
  AudioSource,
  IceServer,
  IceTransportType,
  ContinualGatheringPolicy,
  LocalAudioTrack,
  LocalVideoTrack,
  Room,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoCodec,
  VideoFrame,
  VideoSource,
} from '@livekit/rtc-node';
import { AccessToken } from 'livekit-server-sdk';
import { recorderToken as egressRecorderToken } from '../sources/recorder-token.ts';
import type { LiveKitServer } from '#bench/livekit-server.ts';

export { VideoCodec };

/** A published synthetic track. */
export interface TestPublication {
  readonly room: Room;
  readonly identity: string;
  readonly trackSid: string;
  /** Unpublishes the track but stays in the room. */
  unpublish(): Promise<void>;
  /** Stops feeding and leaves the room; idempotent. */
  stop(): Promise<void>;
}

/** A join token for the subscriber under test: the egress task's own hidden-recorder token. */
export function recorderToken(server: LiveKitServer, room: string, identity = 'EG_test'): Promise<string> {
  return egressRecorderToken(server.apiKey, server.apiSecret, identity, room);
}

async function joinAsPublisher(server: LiveKitServer, roomName: string, identity: string): Promise<Room> {
  const token = new AccessToken(server.apiKey, server.apiSecret, { identity, ttl: '10m' });
  token.addGrant({ roomJoin: true, room: roomName, canPublish: true, canSubscribe: false });
  const room = new Room();
  await room.connect(server.url, await token.toJwt(), {
    autoSubscribe: false,
    dynacast: false,
    rtcConfig: {
      iceTransportType: IceTransportType.TRANSPORT_ALL,
      continualGatheringPolicy: ContinualGatheringPolicy.GATHER_ONCE,
      iceServers: [new IceServer({ urls: ['stun:127.0.0.1:9'] })],
    },
  });
  return room;
}

function publication(room: Room, identity: string, trackSid: string, stopFeed: () => void): TestPublication {
  let stopped: Promise<void> | undefined;
  return {
    room,
    identity,
    trackSid,
    unpublish: async () => {
      stopFeed();
      await room.localParticipant?.unpublishTrack(trackSid);
    },
    stop: () => {
      stopped ??= (async () => {
        stopFeed();
        await room.disconnect();
      })();
      return stopped;
    },
  };
}

/** Publishes a 440 Hz mono tone (Opus) from `identity`. */
export async function publishAudio(
  server: LiveKitServer,
  roomName: string,
  identity: string,
): Promise<TestPublication> {
  const room = await joinAsPublisher(server, roomName, identity);
  const source = new AudioSource(48_000, 1, 200);
  const track = LocalAudioTrack.createAudioTrack('tone', source);
  const options = new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE });
  const published = await room.localParticipant?.publishTrack(track, options);
  let running = true;
  void (async () => {
    const samples = new Int16Array(480);
    for (let n = 0; running; n++) {
      for (let i = 0; i < samples.length; i++) {
        samples[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (n * 480 + i)) / 48_000));
      }
      await source.captureFrame(new AudioFrame(samples, 48_000, 1, 480)).catch(() => (running = false));
    }
  })();
  return publication(room, identity, published?.sid ?? '', () => (running = false));
}

/** Size and rate of a synthetic video track. */
export interface VideoShape {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly simulcast?: boolean;
}

/** Publishes a moving test pattern with `codec` from `identity`. */
export async function publishVideo(
  server: LiveKitServer,
  roomName: string,
  identity: string,
  codec: VideoCodec,
  shape: VideoShape = { width: 640, height: 360, fps: 15 },
): Promise<TestPublication> {
  const room = await joinAsPublisher(server, roomName, identity);
  const source = new VideoSource(shape.width, shape.height);
  const track = LocalVideoTrack.createVideoTrack('pattern', source);
  const options = new TrackPublishOptions({
    source: TrackSource.SOURCE_CAMERA,
    videoCodec: codec,
    simulcast: shape.simulcast ?? true,
  });
  const published = await room.localParticipant?.publishTrack(track, options);
  const rgba = new Uint8Array(shape.width * shape.height * 4);
  let frame = 0;
  const timer = setInterval(() => {
    paint(rgba, shape.width, shape.height, frame++);
    source.captureFrame(new VideoFrame(rgba, shape.width, shape.height, VideoBufferType.RGBA));
  }, 1000 / shape.fps);
  return publication(room, identity, published?.sid ?? '', () => clearInterval(timer));
}

/** A gradient with a bar that moves one step per frame, so every frame differs. */
function paint(rgba: Uint8Array, width: number, height: number, frame: number): void {
  const bar = (frame * 8) % width;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const inBar = x >= bar && x < bar + 32;
      rgba[i] = inBar ? 255 : (x * 255) / width;
      rgba[i + 1] = inBar ? 255 : (y * 255) / height;
      rgba[i + 2] = (frame * 5) & 0xff;
      rgba[i + 3] = 255;
    }
  }
}
