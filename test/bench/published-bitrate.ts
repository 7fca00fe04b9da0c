import type { Room } from '@livekit/rtc-node';

/** What a publisher has sent of its video so far (all outbound video RTP streams of its room). */
export interface VideoSendCounters {
  /** `performance.now()` when read. */
  readonly at: number;
  /** RTP payload bytes sent (headers and retransmissions excluded). */
  readonly bytes: number;
  readonly framesSent: number;
  readonly width: number | undefined;
  readonly height: number | undefined;
}

/** What a publisher sent between two readings of its counters. */
export interface VideoSendRate {
  readonly kbps: number;
  readonly fps: number;
  readonly width: number | undefined;
  readonly height: number | undefined;
}

/** Reads the publisher's outbound video counters from its WebRTC stats. */
export async function videoSendCounters(room: Room): Promise<VideoSendCounters> {
  const stats = await room.getRtcStats();
  let bytes = 0;
  let framesSent = 0;
  let width: number | undefined;
  let height: number | undefined;
  for (const entry of stats.publisherStats) {
    if (entry.stats.case !== 'outboundRtp' || entry.stats.value.stream?.kind !== 'video') continue;
    const outbound = entry.stats.value;
    bytes += Number(outbound.sent?.bytesSent ?? 0n);
    framesSent += outbound.outbound?.framesSent ?? 0;
    width = outbound.outbound?.frameWidth ?? width;
    height = outbound.outbound?.frameHeight ?? height;
  }
  return { at: performance.now(), bytes, framesSent, width, height };
}

/** The send rate between two readings (`b` after `a`) of the same publisher. */
export function videoSendRate(a: VideoSendCounters, b: VideoSendCounters): VideoSendRate {
  const seconds = (b.at - a.at) / 1000;
  return {
    kbps: ((b.bytes - a.bytes) * 8) / seconds / 1000,
    fps: (b.framesSent - a.framesSent) / seconds,
    width: b.width,
    height: b.height,
  };
}
