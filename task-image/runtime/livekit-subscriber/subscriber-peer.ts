/**
 * The subscriber peer connection. LiveKit is the offerer here: every subscription change arrives as a new
 * offer, which is answered in order (offers are chained, never handled concurrently). Candidates flow both
 * ways by trickle; remote ones outside the ICE policy are dropped.
 */
import type { SessionDescription } from '@livekit/protocol';
import { RTCPeerConnection } from 'werift';
import type { MediaStreamTrack, RTCIceCandidateInit, RTCRtpTransceiver, RTCTrackEvent } from 'werift';
import type { Logger } from '#shared/logger.ts';
import { subscriberCodecs } from './codecs.ts';
import { acceptsCandidate, filterSdpCandidates, iceConfig, type IcePolicy } from './ice-policy.ts';
import { preferH264Mode1 } from './sdp-filter.ts';

/** A remote track that arrived on the peer connection, identified by its LiveKit track sid. */
export interface PeerTrack {
  readonly trackSid: string;
  readonly track: MediaStreamTrack;
  readonly transceiver: RTCRtpTransceiver;
}

/** What the peer needs from its owner. */
export interface SubscriberPeerOptions {
  readonly policy: IcePolicy;
  readonly logger: Logger;
  /** Sends the answer to the offer with `offerId`. */
  readonly sendAnswer: (sdp: string, offerId: number) => void;
  /** Sends one local candidate (JSON of an RTCIceCandidateInit) with target SUBSCRIBER. */
  readonly sendCandidate: (candidateInit: string) => void;
  readonly onTrack: (track: PeerTrack) => void;
  /** MIME type the track with this sid is published with, so the answer offers only that codec. */
  readonly publishedMimeType: (trackSid: string) => string | undefined;
  /** ICE/DTLS failed, or an offer could not be answered. Called at most once. */
  readonly onFailed: (err: Error, what: 'peer-failed' | 'negotiation-failed') => void;
}

/** werift peer connection answering LiveKit's subscriber offers. */
export class SubscriberPeer {
  private readonly pc: RTCPeerConnection;
  private readonly codecs = subscriberCodecs();
  private readonly midToTrackSid = new Map<string, string>();
  private negotiation: Promise<void> = Promise.resolve();
  private answered = 0;
  private failed = false;
  private closed = false;

  constructor(private readonly options: SubscriberPeerOptions) {
    this.pc = new RTCPeerConnection({ ...iceConfig(options.policy), codecs: this.codecs });
    this.pc.onIceCandidate.subscribe((candidate) => {
      if (candidate !== undefined && !this.closed) options.sendCandidate(JSON.stringify(candidate.toJSON()));
    });
    this.pc.iceConnectionStateChange.subscribe((state) => options.logger.debug('ice state', { state }));
    this.pc.connectionStateChange.subscribe((state) => {
      options.logger.debug('subscriber peer state', { state });
      if (state === 'failed') this.fail(new Error('ICE/DTLS connection failed'), 'peer-failed');
    });
    this.pc.ontrack = (event: RTCTrackEvent) => this.trackArrived(event);
  }

  /** `connected` once ICE and DTLS are up. */
  get connectionState(): string {
    return this.pc.connectionState;
  }

  /** Resolves when the peer is connected; rejects if it fails or closes first. */
  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      const settle = (state: string): boolean => {
        if (state === 'connected') resolve();
        else if (state === 'failed' || state === 'closed' || this.closed) reject(new Error(`subscriber peer ${state}`));
        else return false;
        return true;
      };
      if (settle(this.pc.connectionState)) return;
      const { unSubscribe } = this.pc.connectionStateChange.subscribe((state) => {
        if (settle(state)) unSubscribe();
      });
    });
  }

  /**
   * After a resumed signalling session: resolves once the peer is connected and has answered a new offer
   * (LiveKit restarts ICE on resume), or has stayed connected for `quietMs` without one; rejects when it
   * failed or closed. A peer that never negotiated (nothing subscribed yet) has nothing to reconnect.
   * Polls (50 ms); the caller bounds the wait.
   */
  reconnected(quietMs = 2_000): Promise<void> {
    const since = this.answered;
    if (since === 0 && !this.failed && !this.closed) return Promise.resolve();
    const started = Date.now();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (this.failed || this.closed) {
          reject(new Error(`subscriber peer ${this.failed ? 'failed' : 'closed'}`));
          return;
        }
        const offered = this.answered > since || Date.now() - started >= quietMs;
        if (offered && this.pc.connectionState === 'connected') resolve();
        else setTimeout(check, 50).unref();
      };
      check();
    });
  }

  /** Answers a subscriber offer after every earlier one has been answered. */
  handleOffer(offer: SessionDescription): void {
    this.negotiation = this.negotiation.then(() => this.answer(offer));
  }

  /** Adds a trickled remote candidate (JSON of an RTCIceCandidateInit) if the policy accepts it. */
  addRemoteCandidate(candidateInit: string): void {
    let init: RTCIceCandidateInit;
    try {
      init = JSON.parse(candidateInit) as RTCIceCandidateInit;
    } catch (err) {
      this.options.logger.warn('unparsable remote candidate', { err });
      return;
    }
    if (!acceptsCandidate(this.options.policy, init.candidate ?? '')) {
      this.options.logger.debug('remote candidate dropped by ICE policy', { candidate: init.candidate });
      return;
    }
    // Candidates that arrive before their offer are buffered by werift until the remote description is set.
    this.pc.addIceCandidate(init).catch((err: unknown) => {
      this.options.logger.warn('remote candidate rejected', { err, candidate: init.candidate });
    });
  }

  /** Closes the peer connection; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pc.close();
  }

  private async answer(offer: SessionDescription): Promise<void> {
    if (this.closed || this.failed) return;
    for (const [mid, trackSid] of Object.entries(offer.midToTrackId)) this.midToTrackSid.set(mid, trackSid);
    try {
      const sdp = preferH264Mode1(filterSdpCandidates(this.options.policy, offer.sdp));
      await this.pc.setRemoteDescription({ type: 'offer', sdp });
      this.preferPublishedCodecs();
      const answer = await this.pc.createAnswer();
      this.options.logger.debug('answered subscriber offer', { offerId: offer.id, media: mediaSummary(answer.sdp) });
      await this.pc.setLocalDescription(answer);
      if (this.closed) return;
      this.options.sendAnswer(this.pc.localDescription?.sdp ?? answer.sdp, offer.id);
      this.answered++;
    } catch (err) {
      if (!this.closed) this.fail(err instanceof Error ? err : new Error(String(err)), 'negotiation-failed');
    }
  }

  /**
   * LiveKit offers every codec it knows on each transceiver and sends whichever of the track's codecs comes
   * first in the answer: a simulcast-codec track (H.264 or VP9 with a VP8 backup) would come as VP8. Limiting
   * each transceiver to the published codec makes the server send exactly what the publisher encoded.
   */
  private preferPublishedCodecs(): void {
    for (const transceiver of this.pc.getTransceivers()) {
      const trackSid = this.trackSidOf(transceiver);
      const published = trackSid === undefined ? undefined : this.options.publishedMimeType(trackSid)?.toLowerCase();
      if (published === undefined || published === '') continue;
      // Opus published with RED redundancy: the server unwraps it for subscribers that answer plain Opus.
      const mime = published === 'audio/red' ? 'audio/opus' : published;
      const configured = transceiver.kind === 'audio' ? this.codecs.audio : this.codecs.video;
      const matching = configured.filter((codec) => codec.mimeType.toLowerCase() === mime);
      if (matching.length > 0) transceiver.setCodecPreferences(matching);
      else this.options.logger.warn('published codec not supported', { trackSid, mimeType: mime });
    }
  }

  private trackSidOf(transceiver: RTCRtpTransceiver): string | undefined {
    const sid = this.midToTrackSid.get(transceiver.mid ?? '') ?? transceiver.receiver.remoteTrackId;
    return sid === '' ? undefined : sid;
  }

  private trackArrived(event: RTCTrackEvent): void {
    const trackSid = this.trackSidOf(event.transceiver);
    if (trackSid === undefined) {
      this.options.logger.warn('remote track without a track sid', { mid: event.transceiver.mid });
      return;
    }
    this.options.onTrack({ trackSid, track: event.track, transceiver: event.transceiver });
  }

  private fail(err: Error, what: 'peer-failed' | 'negotiation-failed'): void {
    if (this.failed || this.closed) return;
    this.failed = true;
    this.options.onFailed(err, what);
  }
}

/** `m=` kinds and first payload types of an SDP, for logs (the SDP itself carries ICE credentials). */
function mediaSummary(sdp: string): string[] {
  return sdp
    .split('\r\n')
    .filter((line) => line.startsWith('m='))
    .map((line) => line.slice(2).split(' ').slice(0, 4).join(' '));
}
