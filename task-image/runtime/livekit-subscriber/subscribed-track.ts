/**
 * One subscribed track: raw RTP packets and RTCP sender reports, untouched, plus key frame requests.
 *
 * Key frames are asked for (PLI) as soon as the first packet tells the SSRC, again every second until one
 * arrives, on every {@link SubscribedTrack.requestKeyFrame}, and after a loss NACK could not repair.
 */
import type { MediaStreamTrack, RtcpSrPacket, RtpPacket, RTCRtpReceiver } from 'werift';
import type { Logger } from '#shared/logger.ts';
import type { RtpCodec } from './codecs.ts';
import { keyFrameDetector } from './keyframe.ts';
import { Listeners, type Unsubscribe } from './listeners.ts';
import { LossWatch } from './loss-watch.ts';
import type { RemoteTrack, TrackKind } from './room-state.ts';

export type { RtpPacket } from 'werift';

/** An RTCP sender report: maps the sender's RTP clock to wall-clock (NTP) time. */
export interface SenderReport {
  readonly ssrc: number;
  /** 64-bit NTP timestamp as sent. */
  readonly ntpTime: bigint;
  /** The same instant in Unix epoch milliseconds. */
  readonly ntpMs: number;
  readonly rtpTimestamp: number;
  readonly packetCount: number;
  readonly octetCount: number;
  /** Local `Date.now()` when the report arrived. */
  readonly receivedAtMs: number;
}

/** Why a subscription ended. */
export type TrackEndReason =
  | 'unpublished'
  | 'participant-left'
  | 'unsubscribed'
  /** The server ended the session (room deleted, participant removed). */
  | 'disconnected'
  /** The connection to LiveKit broke and could not be got back in the reconnect window. */
  | 'connection-lost'
  | 'closed';

/** Counters of one subscription. */
export interface TrackStats {
  readonly packets: number;
  readonly bytes: number;
  readonly keyFrames: number;
  readonly keyFrameRequests: number;
  readonly lossEvents: number;
}

/** Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
const ntpUnixOffsetSeconds = 2_208_988_800n;

/** Converts a 64-bit NTP timestamp (32.32 fixed point) to Unix epoch milliseconds. */
export function ntpToEpochMs(ntp: bigint): number {
  const seconds = ntp >> 32n;
  const fraction = ntp & 0xffffffffn;
  return Number(seconds - ntpUnixOffsetSeconds) * 1000 + (Number(fraction) * 1000) / 2 ** 32;
}

/** Packets kept while no RTP listener is attached yet, so the first key frame is never missed. */
const maxEarlyPackets = 2_000;
const keyFrameRetryMs = 1_000;
const minAutoPliIntervalMs = 500;

/** A track received as RTP. Created by the subscriber; ended by unpublish, leave, unsubscribe or close. */
export class SubscribedTrack {
  readonly trackSid: string;
  readonly kind: TrackKind;
  private confirmedCodec: RtpCodec | undefined;
  private isKeyFrame: ((payload: Uint8Array) => boolean) | undefined;
  private readonly rtp: Listeners<[RtpPacket]>;
  private readonly reports: Listeners<[SenderReport]>;
  private readonly mutes: Listeners<[boolean]>;
  private readonly ends: Listeners<[TrackEndReason]>;
  private readonly early: RtpPacket[] = [];
  private loss: LossWatch;
  private readonly detach: Unsubscribe[] = [];
  private ssrc: number | undefined;
  private lastPliAt = 0;
  private keyFrameSeen = false;
  private mutedNow: boolean;
  private endReason: TrackEndReason | undefined;
  private counters = { packets: 0, bytes: 0, keyFrames: 0, keyFrameRequests: 0, lossEvents: 0 };

  constructor(
    readonly info: RemoteTrack,
    private negotiated: () => readonly RtpCodec[],
    private receiver: RTCRtpReceiver,
    track: MediaStreamTrack,
    private readonly logger: Logger,
    private readonly onUnsubscribe: (track: SubscribedTrack) => Promise<void>,
  ) {
    this.trackSid = info.sid;
    this.kind = info.kind;
    this.mutedNow = info.muted;
    this.rtp = new Listeners('rtp', logger);
    this.reports = new Listeners('senderReport', logger);
    this.mutes = new Listeners('muted', logger);
    this.ends = new Listeners('ended', logger);
    this.loss = this.newLossWatch();
    this.listen(track);
  }

  /**
   * @internal After a rejoin the track arrives on a new peer connection: RTP continues from there, to the
   * same listeners (a new SSRC and sequence space; the first packet asks for a key frame again).
   */
  rebind(negotiated: () => readonly RtpCodec[], receiver: RTCRtpReceiver, track: MediaStreamTrack): void {
    if (this.endReason !== undefined) return;
    for (const off of this.detach.splice(0)) off();
    this.negotiated = negotiated;
    this.receiver = receiver;
    this.ssrc = undefined;
    this.keyFrameSeen = false;
    this.loss = this.newLossWatch();
    this.listen(track);
    this.logger.info('track subscription restored', { trackSid: this.trackSid });
  }

  private newLossWatch(): LossWatch {
    return new LossWatch({ maxWaitMs: 250, maxGap: 500, onLoss: (n) => this.lossDetected(n) });
  }

  private listen(track: MediaStreamTrack): void {
    const rtpSub = track.onReceiveRtp.subscribe((packet) => this.receive(packet));
    const rtcpSub = track.onReceiveRtcp.subscribe((packet) => {
      if (packet.type === 200) this.senderReport(packet);
    });
    this.detach.push(rtpSub.unSubscribe, rtcpSub.unSubscribe);
  }

  /**
   * The codec the packets use: from the payload type of the first packet once it arrived, before that the
   * first negotiated codec (the answer offers only the published MIME type, so the two agree on it).
   */
  get codec(): RtpCodec {
    return (
      this.confirmedCodec ?? this.negotiated()[0] ?? { mimeType: this.info.mimeType, clockRate: 0, payloadType: -1 }
    );
  }

  /** Whether the publisher has muted the track (as the server last reported). */
  get muted(): boolean {
    return this.mutedNow;
  }

  /** Why the subscription ended, or undefined while it is live. */
  get ended(): TrackEndReason | undefined {
    return this.endReason;
  }

  /** Counters since the subscription started. */
  get stats(): TrackStats {
    return { ...this.counters };
  }

  /** Receives every RTP packet (header + payload, as sent). Packets that arrived before the first listener
   * was attached are delivered to it first, in order. */
  onRtp(listener: (packet: RtpPacket) => void): Unsubscribe {
    const off = this.rtp.add(listener);
    for (const packet of this.early.splice(0)) listener(packet);
    return off;
  }

  /** Receives every RTCP sender report of the track's SSRC. */
  onSenderReport(listener: (report: SenderReport) => void): Unsubscribe {
    return this.reports.add(listener);
  }

  /** Receives `true` on mute and `false` on unmute. */
  onMuteChange(listener: (muted: boolean) => void): Unsubscribe {
    return this.mutes.add(listener);
  }

  /** Runs once when the subscription ends (immediately if it already has). */
  onEnded(listener: (reason: TrackEndReason) => void): Unsubscribe {
    if (this.endReason !== undefined) {
      listener(this.endReason);
      return () => undefined;
    }
    return this.ends.add(listener);
  }

  /** Sends a PLI for this track (video only; a no-op for audio or before the first packet). */
  requestKeyFrame(): void {
    if (this.kind !== 'video' || this.ssrc === undefined || this.endReason !== undefined) return;
    this.lastPliAt = Date.now();
    this.counters.keyFrameRequests++;
    void this.receiver.sendRtcpPLI(this.ssrc);
  }

  /** Stops receiving this track; the subscription ends with `unsubscribed`. */
  async unsubscribe(): Promise<void> {
    if (this.endReason === undefined) await this.onUnsubscribe(this);
  }

  /** @internal Called by the subscriber when the server reports a mute change. */
  setMuted(muted: boolean): void {
    if (muted === this.mutedNow || this.endReason !== undefined) return;
    this.mutedNow = muted;
    this.mutes.emit(muted);
  }

  /** @internal Called by the subscriber; ends the subscription once. */
  end(reason: TrackEndReason): void {
    if (this.endReason !== undefined) return;
    this.endReason = reason;
    for (const off of this.detach.splice(0)) off();
    this.early.length = 0;
    this.logger.debug('track subscription ended', { trackSid: this.trackSid, reason, ...this.counters });
    this.ends.emit(reason);
    for (const set of [this.rtp, this.reports, this.mutes, this.ends]) set.clear();
  }

  private receive(packet: RtpPacket): void {
    if (this.endReason !== undefined) return;
    this.counters.packets++;
    this.counters.bytes += packet.payload.length;
    if (this.ssrc === undefined) {
      this.ssrc = packet.header.ssrc;
      this.confirmCodec(packet.header.payloadType);
      this.requestKeyFrame();
    }
    if (this.isKeyFrame !== undefined) this.watchKeyFrames(packet);
    if (this.rtp.size === 0) {
      if (this.early.length < maxEarlyPackets) this.early.push(packet);
      return;
    }
    this.rtp.emit(packet);
  }

  private confirmCodec(payloadType: number): void {
    this.confirmedCodec = this.negotiated().find((codec) => codec.payloadType === payloadType);
    if (this.confirmedCodec === undefined) {
      this.logger.warn('RTP payload type not negotiated', { payloadType, trackSid: this.trackSid });
    }
    this.isKeyFrame = this.kind === 'video' ? keyFrameDetector(this.codec.mimeType) : undefined;
  }

  private watchKeyFrames(packet: RtpPacket): void {
    this.ssrc = packet.header.ssrc;
    this.loss.packet(packet.header.sequenceNumber);
    if (this.isKeyFrame?.(packet.payload) === true) {
      this.keyFrameSeen = true;
      this.counters.keyFrames++;
    } else if (!this.keyFrameSeen && Date.now() - this.lastPliAt > keyFrameRetryMs) {
      this.requestKeyFrame();
    }
  }

  private lossDetected(lost: number): void {
    this.counters.lossEvents++;
    this.logger.debug('unrepaired RTP loss, requesting a key frame', { trackSid: this.trackSid, lost });
    if (Date.now() - this.lastPliAt >= minAutoPliIntervalMs) this.requestKeyFrame();
  }

  private senderReport(sr: RtcpSrPacket): void {
    if (this.endReason !== undefined) return;
    const info = sr.senderInfo;
    this.reports.emit({
      ssrc: sr.ssrc,
      ntpTime: info.ntpTimestamp,
      ntpMs: ntpToEpochMs(info.ntpTimestamp),
      rtpTimestamp: info.rtpTimestamp,
      packetCount: info.packetCount,
      octetCount: info.octetCount,
      receivedAtMs: Date.now(),
    });
  }
}
