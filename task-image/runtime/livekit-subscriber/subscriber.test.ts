/**
 * The subscriber against the real LiveKit server, with tracks published by @livekit/rtc-node.
 */
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { createLogger } from '#shared/logger.ts';
import { isH264KeyFrame, isVp8KeyFrame, isVp9KeyFrame, vp8KeyFrameSize } from './keyframe.ts';
import type { RemoteParticipant, RemoteTrack } from './room-state.ts';
import type { RtpPacket, SenderReport, SubscribedTrack, TrackEndReason } from './subscribed-track.ts';
import { LiveKitSubscriber } from './subscriber.ts';
import { publishAudio, publishVideo, recorderToken, VideoCodec, type TestPublication } from './test-publisher.ts';

const logger = createLogger({ test: 'livekit-subscriber' }, { level: 'warn' });
let server: LiveKitServer;
const cleanup: (() => Promise<void>)[] = [];
let roomCounter = 0;

beforeAll(async () => {
  server = await startLiveKitServer({ logger });
});
afterEach(async () => {
  await Promise.allSettled(cleanup.splice(0).map((f) => f()));
});
afterAll(async () => {
  await server.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function newRoom(): string {
  roomCounter += 1;
  return `room-${roomCounter}-${Date.now()}`;
}

async function connect(room: string): Promise<LiveKitSubscriber> {
  const token = await recorderToken(server, room);
  const subscriber = await LiveKitSubscriber.connect({ url: server.url, token, logger, timeoutMs: 5_000 });
  cleanup.push(() => subscriber.close());
  return subscriber;
}

function track<T extends TestPublication>(publication: T): T {
  cleanup.push(() => publication.stop());
  return publication;
}

interface Received {
  readonly packets: { packet: RtpPacket; at: number }[];
  readonly reports: SenderReport[];
}

function record(subscribed: SubscribedTrack): Received {
  const received: Received = { packets: [], reports: [] };
  subscribed.onRtp((packet) => received.packets.push({ packet, at: Date.now() }));
  subscribed.onSenderReport((report) => received.reports.push(report));
  return received;
}

/** Asserts steady arrival: no silence over `maxGapMs`, few missing sequence numbers, rising timestamps. */
function expectContinuous(received: Received, minPackets: number, maxGapMs: number): void {
  const { packets } = received;
  expect(packets.length).toBeGreaterThanOrEqual(minPackets);
  let largestGap = 0;
  let missing = 0;
  for (let i = 1; i < packets.length; i++) {
    const [prev, cur] = [packets[i - 1]!, packets[i]!];
    largestGap = Math.max(largestGap, cur.at - prev.at);
    missing += ((cur.packet.header.sequenceNumber - prev.packet.header.sequenceNumber) & 0xffff) - 1;
    expect((cur.packet.header.timestamp - prev.packet.header.timestamp) >>> 0 < 0x80000000).toBe(true);
  }
  expect(largestGap).toBeLessThan(maxGapMs);
  expect(missing).toBeLessThanOrEqual(packets.length * 0.02);
}

describe('receives published tracks as RTP', () => {
  test('Opus: codec, 48 kHz clock, packets every 20 ms for 4 s, sender reports', async () => {
    const room = newRoom();
    const publication = track(await publishAudio(server, room, 'speaker'));
    const started = Date.now();
    const subscriber = await connect(room);
    const subscribed = await subscriber.subscribe(publication.trackSid, { trackTimeoutMs: 5_000 });
    const received = record(subscribed);
    await until(() => received.packets.length > 0, 5_000, 'first RTP packet');
    const firstPacketMs = received.packets[0]!.at - started;
    await sleep(4_000);
    expect(subscribed.kind).toBe('audio');
    expect(subscribed.codec).toMatchObject({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 });
    expect(received.packets[0]!.packet.header.payloadType).toBe(subscribed.codec.payloadType);
    expectContinuous(received, 150, 300);
    // Plain Opus, not RED-wrapped: every TOC byte announces one 20 ms frame (configs 1, 5, 9, 13, 15, 19…31).
    const twentyMs = new Set([1, 5, 9, 13, 15, 19, 23, 27, 31]);
    for (const { packet } of received.packets) expect(twentyMs.has(packet.payload[0]! >> 3)).toBe(true);
    expect(received.reports.length).toBeGreaterThan(0);
    const [report] = received.reports;
    expect(Math.abs(report!.ntpMs - report!.receivedAtMs)).toBeLessThan(5_000);
    console.log(`opus: connect → first RTP ${firstPacketMs} ms, ${received.packets.length} packets in ~4 s`);
  });

  const videoCases = [
    { name: 'VP8', codec: VideoCodec.VP8, mimeType: 'video/VP8', isKey: isVp8KeyFrame },
    { name: 'H.264', codec: VideoCodec.H264, mimeType: 'video/H264', isKey: isH264KeyFrame },
    { name: 'VP9', codec: VideoCodec.VP9, mimeType: 'video/VP9', isKey: isVp9KeyFrame },
  ];

  test.each(videoCases)('$name: codec, 90 kHz clock, a key frame first, steady packets for 4 s', async (c) => {
    const room = newRoom();
    const publication = track(await publishVideo(server, room, 'camera', c.codec));
    const started = Date.now();
    const subscriber = await connect(room);
    const subscribed = await subscriber.subscribe(publication.trackSid, { trackTimeoutMs: 5_000 });
    const received = record(subscribed);
    await until(() => received.packets.some((p) => c.isKey(p.packet.payload)), 5_000, 'first key frame');
    const firstPacketMs = received.packets[0]!.at - started;
    await sleep(4_000);
    expect(subscribed.codec).toMatchObject({ mimeType: c.mimeType, clockRate: 90_000 });
    for (const { packet } of received.packets) expect(packet.header.payloadType).toBe(subscribed.codec.payloadType);
    expectContinuous(received, 100, 500);
    expect(received.reports.length).toBeGreaterThan(0);
    expect(subscribed.stats.keyFrames).toBeGreaterThan(0);
    if (c.codec === VideoCodec.H264) expect(subscribed.codec.fmtpLine).toContain('packetization-mode=1');
    console.log(`${c.name}: connect → first RTP ${firstPacketMs} ms, ${received.packets.length} packets in ~4 s`);
  });

  test('VP8 simulcast: the top layer (640x360) is what arrives', async () => {
    const room = newRoom();
    const publication = track(
      await publishVideo(server, room, 'camera', VideoCodec.VP8, { width: 640, height: 360, fps: 15, simulcast: true }),
    );
    const subscriber = await connect(room);
    const subscribed = await subscriber.subscribe(publication.trackSid, { trackTimeoutMs: 5_000 });
    const sizes: { width: number; height: number }[] = [];
    subscribed.onRtp((packet) => {
      const size = vp8KeyFrameSize(packet.payload);
      if (size !== undefined) sizes.push(size);
    });
    await until(() => sizes.length > 0, 5_000, 'a VP8 key frame');
    expect(sizes[0]).toEqual({ width: 640, height: 360 });
  });
});

describe('key frame requests', () => {
  test.each([
    { name: 'VP8', codec: VideoCodec.VP8, isKey: isVp8KeyFrame },
    { name: 'H.264', codec: VideoCodec.H264, isKey: isH264KeyFrame },
  ])('$name: each requestKeyFrame() after a quiet spell brings a key frame within 1.5 s', async (c) => {
    const room = newRoom();
    const publication = track(await publishVideo(server, room, 'camera', c.codec));
    const subscriber = await connect(room);
    const subscribed = await subscriber.subscribe(publication.trackSid, { trackTimeoutMs: 5_000 });
    const keyFrames: number[] = [];
    subscribed.onRtp((packet) => {
      if (c.isKey(packet.payload)) keyFrames.push(Date.now());
    });
    await until(() => keyFrames.length > 0, 5_000, 'the first key frame');
    // Three rounds: an encoder's own key frame (CPU adaptation) may coincide with one PLI, not with three.
    const latencies: number[] = [];
    for (let round = 0; round < 3; round++) {
      await until(() => Date.now() - keyFrames.at(-1)! > 1_500, 10_000, 'a quiet spell without key frames');
      const requestedAt = Date.now();
      subscribed.requestKeyFrame();
      await until(() => keyFrames.some((at) => at >= requestedAt), 1_500, `a key frame after PLI #${round + 1}`);
      latencies.push(keyFrames.find((at) => at >= requestedAt)! - requestedAt);
    }
    console.log(`${c.name}: PLI → key frame ${latencies.join(', ')} ms`);
    expect(subscribed.stats.keyFrameRequests).toBeGreaterThanOrEqual(4);
  });
});

describe('room events', () => {
  async function subscribedVideo(): Promise<{
    room: string;
    publication: TestPublication;
    subscriber: LiveKitSubscriber;
    subscribed: SubscribedTrack;
  }> {
    const room = newRoom();
    const publication = track(await publishVideo(server, room, 'camera', VideoCodec.VP8));
    const subscriber = await connect(room);
    const subscribed = await subscriber.subscribe(publication.trackSid, { trackTimeoutMs: 5_000 });
    return { room, publication, subscriber, subscribed };
  }

  test('trackPublished, then trackUnpublished and an "unpublished" end when the publisher unpublishes', async () => {
    const room = newRoom();
    const subscriber = await connect(room);
    const published: RemoteTrack[] = [];
    const unpublished: RemoteTrack[] = [];
    subscriber.on('trackPublished', (t) => published.push(t));
    subscriber.on('trackUnpublished', (t) => unpublished.push(t));
    const publication = track(await publishAudio(server, room, 'speaker'));
    const subscribed = await subscriber.subscribe(publication.trackSid, { trackTimeoutMs: 5_000 });
    expect(published).toEqual([
      expect.objectContaining({ sid: publication.trackSid, kind: 'audio', source: 'microphone' }),
    ]);
    const ended = new Promise<TrackEndReason>((resolve) => subscribed.onEnded(resolve));
    await publication.unpublish();
    expect(await ended).toBe('unpublished');
    expect(unpublished.map((t) => t.sid)).toEqual([publication.trackSid]);
    expect(subscriber.findTrack(publication.trackSid)).toBeUndefined();
    expect(subscriber.closed).toBe(false);
  });

  test('participantLeft and a "participant-left" end when the publisher leaves', async () => {
    const { publication, subscriber, subscribed } = await subscribedVideo();
    const left: RemoteParticipant[] = [];
    subscriber.on('participantLeft', (p) => left.push(p));
    const ended = new Promise<TrackEndReason>((resolve) => subscribed.onEnded(resolve));
    await publication.stop();
    expect(await ended).toBe('participant-left');
    await until(() => left.length > 0, 5_000, 'participantLeft');
    expect(left[0]?.identity).toBe(publication.identity);
  });

  test('a server-side mute is reported on the track and as trackMuted', async () => {
    const { room, publication, subscriber, subscribed } = await subscribedVideo();
    const mutes: boolean[] = [];
    subscribed.onMuteChange((muted) => mutes.push(muted));
    const events: boolean[] = [];
    subscriber.on('trackMuted', (_t, muted) => events.push(muted));
    const rooms = new RoomServiceClient(server.httpUrl, server.apiKey, server.apiSecret);
    await rooms.mutePublishedTrack(room, publication.identity, publication.trackSid, true);
    await until(() => mutes.length > 0, 5_000, 'mute');
    expect(mutes).toEqual([true]);
    expect(events).toEqual([true]);
    expect(subscribed.muted).toBe(true);
  });

  test('keeps the token LiveKit refreshes, and an abort after connect closes the session', async () => {
    const room = newRoom();
    const token = await recorderToken(server, room);
    const controller = new AbortController();
    const subscriber = await LiveKitSubscriber.connect({ url: server.url, token, logger, signal: controller.signal });
    cleanup.push(() => subscriber.close());
    await until(() => subscriber.token !== token, 5_000, 'a refreshed token');
    expect(subscriber.token.split('.')).toHaveLength(3);
    const disconnected = new Promise<unknown>((resolve) => subscriber.on('disconnected', resolve));
    controller.abort();
    expect(await disconnected).toBeUndefined();
    expect(subscriber.closed).toBe(true);
  });

  test('close() ends subscriptions with "closed", emits disconnected once without an error', async () => {
    const { subscriber, subscribed } = await subscribedVideo();
    const disconnects: unknown[] = [];
    subscriber.on('disconnected', (err) => disconnects.push(err));
    const ended = new Promise<TrackEndReason>((resolve) => subscribed.onEnded(resolve));
    // A listener that closes again from inside the ending must not start a second release.
    subscribed.onEnded(() => void subscriber.close());
    await Promise.all([subscriber.close(), subscriber.close()]);
    await subscriber.close();
    expect(await ended).toBe('closed');
    expect(disconnects).toEqual([undefined]);
    expect(subscriber.closed).toBe(true);
    await expect(subscriber.subscribe('TR_any')).rejects.toMatchObject({ reason: 'closed' });
  });
});
