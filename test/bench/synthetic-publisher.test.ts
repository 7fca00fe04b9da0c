import { existsSync } from 'node:fs';
import { TrackSource, dispose } from '@livekit/rtc-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RtcBenchError } from './bench-errors.ts';
import { numberReport } from './frame-timing.ts';
import { livekitServerBinary, startLiveKitServer, type LiveKitServer } from './livekit-server.ts';
import { beepOnsets, percentile } from './signal-analysis.ts';
import { SAMPLE_RATE, isFlashFrame } from './sync-schedule.ts';
import { startSyntheticPublisher, type SyntheticPublisher, type VideoCodecName } from './synthetic-publisher.ts';
import {
  startSyntheticSubscriber,
  type ReceivedAudio,
  type ReceivedVideo,
  type SyntheticSubscriber,
} from './synthetic-subscriber.ts';

let server: LiveKitServer | undefined;
const live = (room: string, identity: string) => {
  if (server === undefined) throw new Error('livekit-server is not running');
  return { url: server.url, apiKey: server.apiKey, apiSecret: server.apiSecret, room, identity };
};

/** Publisher and subscriber in `room`, stopped after `body` whatever happens. */
async function withPair(
  room: string,
  publish: Omit<Parameters<typeof startSyntheticPublisher>[0], keyof ReturnType<typeof live>>,
  body: (pub: SyntheticPublisher, sub: SyntheticSubscriber) => Promise<void>,
): Promise<void> {
  const sub = await startSyntheticSubscriber(live(room, 'subscriber'));
  try {
    const pub = await startSyntheticPublisher({ ...live(room, 'publisher'), ...publish });
    try {
      await body(pub, sub);
    } finally {
      await pub.stop();
    }
  } finally {
    await sub.stop();
  }
}

const only = <T>(map: ReadonlyMap<string, T>): T => {
  expect(map.size).toBe(1);
  return [...map.values()][0]!;
};
const highestFrame = (sub: SyntheticSubscriber): number =>
  Math.max(-1, ...[...sub.video.values()].flatMap((v) => v.frames.map((f) => f.number ?? -1)));

/** Asserts the received frames are the pattern's, in order, with flashes exactly where the schedule puts them. */
function expectPatternFrames(video: ReceivedVideo, fps: number): void {
  const report = numberReport(video.frames.map((f) => ({ pts: f.at / 1000, number: f.number, meanLuma: f.meanLuma })));
  expect(report.undecodable).toBeLessThanOrEqual(Math.ceil(video.frames.length / 100));
  expect(report.jumps.filter((j) => j.to < j.from)).toEqual([]);
  // The encoder may drop frames under load; a pacer at the wrong rate would miss half or more.
  expect(report.missing).toBeLessThan(video.frames.length / 5);
  for (const frame of video.frames) {
    if (frame.number !== null)
      expect(frame.meanLuma > 170, `frame ${frame.number}`).toBe(isFlashFrame(frame.number, fps));
  }
}

/** Receiver-side A/V offset: arrival of each beep's onset minus arrival of the first flash frame of that second. */
function arrivalOffsetsMs(audio: ReceivedAudio, video: ReceivedVideo, startedAt: number): number[] {
  const arrivalOf = (sample: number): number => {
    const chunk = audio.arrivals.findLast((a) => a.sample <= sample) ?? audio.arrivals[0];
    return chunk === undefined ? Number.NaN : chunk.at + ((sample - chunk.sample) * 1000) / SAMPLE_RATE;
  };
  return beepOnsets(audio.samples(), SAMPLE_RATE).flatMap((onset) => {
    const beepAt = arrivalOf(Math.round(onset * SAMPLE_RATE));
    const second = Math.round((beepAt - startedAt - 100) / 1000);
    const flash = video.frames.find((f) => f.number !== null && f.number >= second * 30 && f.meanLuma > 170);
    return flash === undefined || Math.floor((flash.number ?? 0) / 30) !== second ? [] : [beepAt - flash.at];
  });
}

describe.skipIf(!existsSync(livekitServerBinary()))('synthetic publisher on the real LiveKit server', () => {
  beforeAll(async () => {
    server = await startLiveKitServer();
  });
  afterAll(async () => {
    await server?.stop();
    await dispose();
  });

  it('VP8 + Opus: the subscriber hears a beep each second and sees every frame in order with its flash', async () => {
    await withPair('vp8-opus', { audio: true, video: { codec: 'vp8' } }, async (pub, sub) => {
      const cpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      // 10 s: enough beeps that one stretched by the jitter buffer while it settles does not move the median.
      await expect.poll(() => highestFrame(sub), { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(300);
      const cpu = process.cpuUsage(cpuBefore);
      const audio = only(sub.audio);
      const video = only(sub.video);
      expect(audio.mimeType).toBe('audio/opus');
      expect(video.mimeType).toBe('video/VP8');
      expect(video.frames[0]).toMatchObject({ width: 640, height: 360 });

      const beeps = beepOnsets(audio.samples(), SAMPLE_RATE);
      expect(beeps.length).toBeGreaterThanOrEqual(3);
      // Beeps come every 48 000 samples. The jitter buffer may stretch audio while it settles or under load,
      // so single intervals get ±50 ms; their median must be exact.
      const intervals = beeps.slice(1).map((t, i) => (t - (beeps[i] ?? 0)) * 1000);
      for (const interval of intervals.slice(1)) expect(Math.abs(interval - 1000)).toBeLessThan(50);
      expect(Math.abs(percentile(intervals, 50) - 1000)).toBeLessThan(5);
      expectPatternFrames(video, 30);

      const offsets = arrivalOffsetsMs(audio, video, pub.startedAt);
      const cores = (cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore);
      console.info(
        `vp8: ${video.frames.length} frames, beeps ${beeps.map((b) => b.toFixed(3)).join(' ')}; ` +
          `receiver A/V (audio minus video arrival) p50 ${percentile(offsets, 50).toFixed(1)} ms over ${offsets.length}; ` +
          `publisher+subscriber CPU ${cores.toFixed(2)} core; pacer ${JSON.stringify(pub.stats())}`,
      );
    });
  });

  it.each<VideoCodecName>(['h264', 'vp9', 'av1'])('publishes %s that decodes into numbered frames', async (codec) => {
    await withPair(`video-${codec}`, { video: { codec, width: 320, height: 180 } }, async (_pub, sub) => {
      await expect.poll(() => highestFrame(sub), { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(60);
      const video = only(sub.video);
      expect(video.mimeType.toLowerCase()).toBe(`video/${codec}`);
      expect(video.source).toBe(TrackSource.SOURCE_CAMERA);
      expectPatternFrames(video, 30);
    });
  });

  it('mutes, unmutes, unpublishes and republishes, and the subscriber sees each', async () => {
    await withPair(
      'track-changes',
      { audio: true, video: { codec: 'vp8', width: 320, height: 180 } },
      async (pub, sub) => {
        const audioSid = pub.audioTrackSid;
        const videoSid = pub.videoTrackSid;
        await sub.waitForEvent((e) => e.type === 'subscribed' && e.trackSid === videoSid, 10_000);
        await pub.mute('audio');
        await sub.waitForEvent((e) => e.type === 'muted' && e.trackSid === audioSid, 5_000);
        await pub.unmute('audio');
        await sub.waitForEvent((e) => e.type === 'unmuted' && e.trackSid === audioSid, 5_000);

        await pub.unpublish('video');
        expect(pub.videoTrackSid).toBeUndefined();
        await sub.waitForEvent((e) => e.type === 'unpublished' && e.trackSid === videoSid, 5_000);
        const lastBefore = highestFrame(sub);
        const newSid = await pub.republish('video');
        expect(newSid).not.toBe(videoSid);
        await sub.waitForEvent((e) => e.type === 'subscribed' && e.trackSid === newSid, 10_000);
        // Same clock: the republished track continues the numbering instead of starting again.
        await expect
          .poll(() => sub.video.get(newSid)?.frames.find((f) => f.number !== null)?.number, { timeout: 10_000 })
          .toBeGreaterThan(lastBefore);
      },
    );
  });

  it('publishes the video as a screen share when asked', async () => {
    await withPair('screen', { screenShare: true }, async (_pub, sub) => {
      await expect.poll(() => highestFrame(sub), { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(10);
      expect(only(sub.video)).toMatchObject({ source: TrackSource.SOURCE_SCREENSHARE, mimeType: 'video/VP8' });
    });
  });

  it('rejects a join signed with the wrong secret', async () => {
    await expect(
      startSyntheticPublisher({ ...live('denied', 'intruder'), apiSecret: 'not-the-secret', audio: true }),
    ).rejects.toBeInstanceOf(RtcBenchError);
  });
});
