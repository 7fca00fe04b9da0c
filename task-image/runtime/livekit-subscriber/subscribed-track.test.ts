/**
 * SubscribedTrack against a real werift MediaStreamTrack fed by hand, with a receiver that records PLIs.
 */
import { TrackInfo, TrackType } from '@livekit/protocol';
import { MediaStreamTrack, RtcpSenderInfo, RtcpSrPacket, RtpHeader, RtpPacket } from 'werift';
import type { RTCRtpReceiver } from 'werift';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { createLogger } from '#shared/logger.ts';
import type { RtpCodec } from './codecs.ts';
import type { RemoteTrack } from './room-state.ts';
import { ntpToEpochMs, SubscribedTrack, type SenderReport, type TrackEndReason } from './subscribed-track.ts';

const logger = createLogger({}, { level: 'error' });
const vp8: RtpCodec = { mimeType: 'video/VP8', clockRate: 90_000, payloadType: 96 };
const h264: RtpCodec = {
  mimeType: 'video/H264',
  clockRate: 90_000,
  payloadType: 108,
  fmtpLine: 'packetization-mode=1',
};
const vp8Key = Buffer.from([0x10, 0x50, 0x2a, 0x00]);
const vp8Delta = Buffer.from([0x10, 0x51, 0x2a, 0x00]);

function remoteTrack(kind: 'audio' | 'video', muted = false): RemoteTrack {
  const participant = { sid: 'PA_a', identity: 'alice', name: '' };
  const info = new TrackInfo({ sid: 'TR_x', type: kind === 'audio' ? TrackType.AUDIO : TrackType.VIDEO });
  return {
    sid: 'TR_x',
    name: '',
    kind,
    source: 'camera',
    mimeType: vp8.mimeType,
    muted,
    width: 0,
    height: 0,
    participant,
    info,
  };
}

function setup(kind: 'audio' | 'video' = 'video', codecs: RtpCodec[] = [vp8, h264]) {
  const track = new MediaStreamTrack({ kind });
  const plis: number[] = [];
  const receiver = {
    sendRtcpPLI: (ssrc: number) => Promise.resolve(void plis.push(ssrc)),
  } as unknown as RTCRtpReceiver;
  const unsubscribed: string[] = [];
  const subscribed = new SubscribedTrack(
    remoteTrack(kind),
    () => codecs,
    receiver,
    track,
    logger,
    (t) => {
      unsubscribed.push(t.trackSid);
      return Promise.resolve();
    },
  );
  let seq = 1000;
  const send = (payload: Buffer, payloadType = 96): void => {
    const header = new RtpHeader({ payloadType, sequenceNumber: seq++ & 0xffff, timestamp: seq * 3000, ssrc: 1234 });
    track.onReceiveRtp.execute(new RtpPacket(header, payload));
  };
  return { track, subscribed, plis, unsubscribed, send, skip: (n: number) => (seq += n) };
}

beforeEach(() => vi.useFakeTimers({ toFake: ['Date'] }));
afterEach(() => vi.useRealTimers());

test('keeps packets that arrive before the first listener and hands them over in order', () => {
  const { subscribed, send } = setup();
  send(vp8Key);
  send(vp8Delta);
  const seen: number[] = [];
  subscribed.onRtp((p) => seen.push(p.header.sequenceNumber));
  send(vp8Delta);
  expect(seen).toEqual([1000, 1001, 1002]);
  expect(subscribed.stats).toMatchObject({ packets: 3, keyFrames: 1 });
});

test('asks for a key frame on the first packet, then every second until one arrives', () => {
  const { subscribed, send, plis } = setup();
  subscribed.onRtp(() => undefined);
  send(vp8Delta);
  expect(plis).toEqual([1234]);
  vi.advanceTimersByTime(500);
  send(vp8Delta);
  expect(plis).toHaveLength(1);
  vi.advanceTimersByTime(600);
  send(vp8Delta);
  expect(plis).toHaveLength(2);
  send(vp8Key);
  vi.advanceTimersByTime(5_000);
  send(vp8Delta);
  expect(plis).toHaveLength(2);
  subscribed.requestKeyFrame();
  expect(plis).toHaveLength(3);
});

test('asks for a key frame after a loss NACK did not repair, at most every 500 ms', () => {
  const { subscribed, send, skip, plis } = setup();
  subscribed.onRtp(() => undefined);
  send(vp8Key);
  vi.advanceTimersByTime(1_000);
  skip(3);
  send(vp8Delta);
  vi.advanceTimersByTime(300);
  send(vp8Delta);
  expect(plis).toHaveLength(2);
  expect(subscribed.stats.lossEvents).toBe(1);
  skip(2);
  send(vp8Delta);
  vi.advanceTimersByTime(300);
  send(vp8Delta);
  expect(subscribed.stats.lossEvents).toBe(2);
  expect(plis).toHaveLength(2); // 300 ms after the last PLI: throttled
});

test('takes the codec from the first packet payload type', () => {
  const { subscribed, send } = setup();
  expect(subscribed.codec).toEqual(vp8);
  send(Buffer.from([0x65, 0x88]), 108);
  expect(subscribed.codec).toEqual(h264);
  expect(subscribed.stats.keyFrames).toBe(1);
});

test('audio: no key frame requests', () => {
  const opus: RtpCodec = { mimeType: 'audio/opus', clockRate: 48_000, channels: 2, payloadType: 111 };
  const { subscribed, send, plis } = setup('audio', [opus]);
  send(Buffer.from([0x78, 0x01]), 111);
  subscribed.requestKeyFrame();
  expect(plis).toEqual([]);
  expect(subscribed.codec).toEqual(opus);
});

test('reports sender reports with the NTP time in epoch milliseconds', () => {
  const { subscribed, track } = setup();
  const reports: SenderReport[] = [];
  subscribed.onSenderReport((r) => reports.push(r));
  const ntp = ((2_208_988_800n + 1_700_000_000n) << 32n) | 0x80000000n; // …000.5 s
  track.onReceiveRtcp.execute(
    new RtcpSrPacket({
      ssrc: 1234,
      senderInfo: new RtcpSenderInfo({ ntpTimestamp: ntp, rtpTimestamp: 90_000, packetCount: 10, octetCount: 1_000 }),
    }),
  );
  expect(reports).toEqual([
    expect.objectContaining({ ssrc: 1234, ntpMs: 1_700_000_000_500, rtpTimestamp: 90_000, packetCount: 10 }),
  ]);
  expect(ntpToEpochMs(ntp)).toBe(1_700_000_000_500);
});

test('mute changes and the end are reported once; nothing is delivered after the end', async () => {
  const { subscribed, send, unsubscribed } = setup();
  const mutes: boolean[] = [];
  const ends: TrackEndReason[] = [];
  const packets: number[] = [];
  subscribed.onMuteChange((m) => mutes.push(m));
  subscribed.onEnded((r) => ends.push(r));
  subscribed.onRtp((p) => packets.push(p.header.sequenceNumber));
  subscribed.setMuted(true);
  subscribed.setMuted(true);
  subscribed.setMuted(false);
  send(vp8Key);
  subscribed.end('unpublished');
  subscribed.end('closed');
  send(vp8Delta);
  await subscribed.unsubscribe();
  expect(mutes).toEqual([true, false]);
  expect(ends).toEqual(['unpublished']);
  expect(packets).toHaveLength(1);
  expect(subscribed.ended).toBe('unpublished');
  expect(unsubscribed).toEqual([]);
  const late: TrackEndReason[] = [];
  subscribed.onEnded((r) => late.push(r));
  expect(late).toEqual(['unpublished']);
});
