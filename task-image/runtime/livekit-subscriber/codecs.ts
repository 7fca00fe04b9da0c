/**
 * Codecs the subscriber accepts in its answer, and the codec description handed to the pipeline.
 *
 * Only primary codecs are listed: no RED (the server would wrap Opus in RFC 2198 redundancy), and no RTX
 * (retransmissions then come on the original SSRC, which is what a passthrough writer wants). H.264 is
 * listed once per common profile because werift only matches H.264 with an equal `profile-level-id`.
 */
import { RTCRtpCodecParameters, useFIR, useNACK, usePLI } from 'werift';

const videoFeedback = (): RTCRtpCodecParameters['rtcpFeedback'] => [useNACK(), usePLI(), useFIR()];

/** Profiles LiveKit publishers use: constrained baseline, baseline, main, high (level 3.1 in the SDP). */
const h264Profiles = ['42e01f', '42001f', '4d001f', '640c1f', '64001f'];

/** Audio and video codec lists for werift's `codecs` option. */
export function subscriberCodecs(): { audio: RTCRtpCodecParameters[]; video: RTCRtpCodecParameters[] } {
  return {
    audio: [
      new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48_000, channels: 2 }),
      new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8_000, channels: 1, payloadType: 0 }),
      new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8_000, channels: 1, payloadType: 8 }),
    ],
    video: [
      new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90_000, rtcpFeedback: videoFeedback() }),
      new RTCRtpCodecParameters({
        mimeType: 'video/VP9',
        clockRate: 90_000,
        rtcpFeedback: videoFeedback(),
        parameters: 'profile-id=0',
      }),
      ...h264Profiles.map(
        (profile) =>
          new RTCRtpCodecParameters({
            mimeType: 'video/H264',
            clockRate: 90_000,
            rtcpFeedback: videoFeedback(),
            parameters: `level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=${profile}`,
          }),
      ),
      new RTCRtpCodecParameters({ mimeType: 'video/AV1', clockRate: 90_000, rtcpFeedback: videoFeedback() }),
    ],
  };
}

/** The negotiated codec of a subscribed track, as the pipeline needs it. */
export interface RtpCodec {
  /** e.g. `audio/opus`, `video/VP8`, `video/H264`. */
  readonly mimeType: string;
  readonly clockRate: number;
  /** Audio channels from the SDP (Opus always says 2). */
  readonly channels?: number;
  readonly payloadType: number;
  /** The `a=fmtp` parameters, e.g. `profile-level-id=42e01f;packetization-mode=1`. */
  readonly fmtpLine?: string;
}

/** The media codecs (not RTX, RED or FEC) of a transceiver's negotiated list, in its order. */
export function mediaCodecs(codecs: readonly RTCRtpCodecParameters[]): RtpCodec[] {
  return codecs
    .filter((c) => !/\/(rtx|red|ulpfec|flexfec-03)$/i.test(c.mimeType))
    .map((codec) => ({
      mimeType: codec.mimeType,
      clockRate: codec.clockRate,
      payloadType: codec.payloadType,
      ...(codec.channels === undefined ? {} : { channels: codec.channels }),
      ...(codec.parameters === undefined || codec.parameters === '' ? {} : { fmtpLine: codec.parameters }),
    }));
}
