/**
 * The room as the subscriber sees it: remote participants and their published tracks, built from the
 * `JoinResponse` and kept current by `ParticipantUpdate`s. Pure: {@link RoomState.apply} returns what
 * changed, and the subscriber turns those changes into events.
 */
import { ParticipantInfo_State, TrackSource, TrackType } from '@livekit/protocol';
import type { ParticipantInfo, TrackInfo } from '@livekit/protocol';

/** Media kind of a track. */
export type TrackKind = 'audio' | 'video';

/** A remote participant, as last reported by the server. */
export interface RemoteParticipant {
  readonly sid: string;
  readonly identity: string;
  readonly name: string;
}

/** A track published by a remote participant. */
export interface RemoteTrack {
  readonly sid: string;
  readonly name: string;
  readonly kind: TrackKind;
  /** `camera`, `microphone`, `screen_share`, `screen_share_audio` or `unknown`. */
  readonly source: string;
  /** The publisher's codec, e.g. `video/VP8`, `audio/opus` (may be empty before the first packet). */
  readonly mimeType: string;
  readonly muted: boolean;
  /** Largest published size (video), 0 for audio. */
  readonly width: number;
  readonly height: number;
  readonly participant: RemoteParticipant;
  /** The server's full description, for whatever else a caller needs (layers, stream, encryption). */
  readonly info: TrackInfo;
}

/** One change found by {@link RoomState.apply}. */
export type RoomChange =
  | { readonly type: 'trackPublished'; readonly track: RemoteTrack }
  | { readonly type: 'trackUnpublished'; readonly track: RemoteTrack }
  | { readonly type: 'trackMuted'; readonly track: RemoteTrack; readonly muted: boolean }
  | { readonly type: 'participantLeft'; readonly participant: RemoteParticipant };

interface ParticipantEntry {
  readonly participant: RemoteParticipant;
  readonly version: number;
  readonly tracks: ReadonlyMap<string, RemoteTrack>;
}

/** Participants and tracks of one room, excluding the subscriber itself and data tracks. */
export class RoomState {
  private readonly participants = new Map<string, ParticipantEntry>();

  constructor(private readonly localSid: string) {}

  /** Every published audio/video track, in no particular order. */
  tracks(): RemoteTrack[] {
    return [...this.participants.values()].flatMap((entry) => [...entry.tracks.values()]);
  }

  /** The track with this sid, if it is published now. */
  findTrack(trackSid: string): RemoteTrack | undefined {
    for (const entry of this.participants.values()) {
      const track = entry.tracks.get(trackSid);
      if (track !== undefined) return track;
    }
    return undefined;
  }

  /** Applies participant infos (from a JoinResponse or a ParticipantUpdate) and returns what changed. */
  apply(infos: readonly ParticipantInfo[]): RoomChange[] {
    return infos.flatMap((info) => (info.sid === this.localSid ? [] : this.applyOne(info)));
  }

  private applyOne(info: ParticipantInfo): RoomChange[] {
    const known = this.participants.get(info.sid);
    // Updates can arrive out of order; a lower version is an older picture of the participant.
    if (known !== undefined && info.version < known.version) return [];
    if (info.state === ParticipantInfo_State.DISCONNECTED) {
      if (known === undefined) return [];
      this.participants.delete(info.sid);
      const gone = [...known.tracks.values()].map((track) => ({ type: 'trackUnpublished', track }) as const);
      return [...gone, { type: 'participantLeft', participant: known.participant }];
    }
    const participant: RemoteParticipant = { sid: info.sid, identity: info.identity, name: info.name };
    const tracks = new Map<string, RemoteTrack>();
    for (const trackInfo of info.tracks) {
      const track = toRemoteTrack(trackInfo, participant);
      if (track !== undefined) tracks.set(track.sid, track);
    }
    this.participants.set(info.sid, { participant, version: info.version, tracks });
    return diffTracks(known?.tracks ?? new Map<string, RemoteTrack>(), tracks);
  }
}

function diffTracks(before: ReadonlyMap<string, RemoteTrack>, after: ReadonlyMap<string, RemoteTrack>): RoomChange[] {
  const changes: RoomChange[] = [];
  for (const [sid, track] of after) {
    const old = before.get(sid);
    if (old === undefined) changes.push({ type: 'trackPublished', track });
    else if (old.muted !== track.muted) changes.push({ type: 'trackMuted', track, muted: track.muted });
  }
  for (const [sid, track] of before) {
    if (!after.has(sid)) changes.push({ type: 'trackUnpublished', track });
  }
  return changes;
}

function toRemoteTrack(info: TrackInfo, participant: RemoteParticipant): RemoteTrack | undefined {
  const kind = info.type === TrackType.AUDIO ? 'audio' : info.type === TrackType.VIDEO ? 'video' : undefined;
  if (kind === undefined) return undefined;
  return {
    sid: info.sid,
    name: info.name,
    kind,
    source: (TrackSource[info.source] ?? 'UNKNOWN').toLowerCase(),
    mimeType: info.mimeType,
    muted: info.muted,
    width: info.width,
    height: info.height,
    participant,
    info,
  };
}
