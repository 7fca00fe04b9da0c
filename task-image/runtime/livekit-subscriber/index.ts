/**
 * LiveKit subscriber that receives tracks as RTP, without decoding. Entry point of the module: see
 * {@link LiveKitSubscriber}.
 */
export { LiveKitSubscriber, type LiveKitSubscriberOptions, type SubscribeOptions } from './subscriber.ts';
export type { SubscriberEvents } from './subscriber-events.ts';
export {
  SubscribedTrack,
  ntpToEpochMs,
  type RtpPacket,
  type SenderReport,
  type TrackEndReason,
  type TrackStats,
} from './subscribed-track.ts';
export type { RtpCodec } from './codecs.ts';
export type { RemoteParticipant, RemoteTrack, TrackKind } from './room-state.ts';
export { loopbackIcePolicy, isLoopbackV4, type IcePolicy } from './ice-policy.ts';
export { keyFrameDetector, isVp8KeyFrame, isVp9KeyFrame, isH264KeyFrame, isAv1KeyFrame } from './keyframe.ts';
export {
  LiveKitSubscriberError,
  SubscriberConnectError,
  SubscriberDisconnectedError,
  SubscriptionFailedError,
  TrackNotFoundError,
  type DisconnectCause,
  type SubscriberErrorReason,
} from './errors.ts';
export type { Unsubscribe } from './listeners.ts';
