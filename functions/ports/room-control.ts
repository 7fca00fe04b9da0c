/** What the API knows of a published track. */
export interface TrackSummary {
  readonly kind: 'audio' | 'video';
  /** e.g. `audio/opus`, `video/VP8`. */
  readonly mimeType: string;
}

/** What the API needs from the LiveKit server itself (RoomService). */
export interface RoomControl {
  /** Sets a participant's metadata; UpdateLayout uses it on the recorder participant (identity = egress id). */
  setParticipantMetadata(roomName: string, identity: string, metadata: string): Promise<void>;
  /** The track if it is published in the room now; undefined if not (it may still appear later). */
  findTrack(roomName: string, trackSid: string): Promise<TrackSummary | undefined>;
}
