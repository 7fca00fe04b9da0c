import { TrackType } from '@livekit/protocol';
import { RoomServiceClient } from 'livekit-server-sdk';
import type { RoomControl, TrackSummary } from '#ports/room-control.ts';

/** {@link RoomControl} through LiveKit's RoomService API (the same in AWS and local mode). */
export class RoomServiceControl implements RoomControl {
  private readonly client: RoomServiceClient;

  constructor(livekitUrl: string, apiKey: string, apiSecret: string) {
    this.client = new RoomServiceClient(livekitUrl, apiKey, apiSecret);
  }

  async setParticipantMetadata(roomName: string, identity: string, metadata: string): Promise<void> {
    await this.client.updateParticipant(roomName, identity, { metadata });
  }

  async findTrack(roomName: string, trackSid: string): Promise<TrackSummary | undefined> {
    const participants = await this.client.listParticipants(roomName);
    for (const participant of participants) {
      const track = participant.tracks.find((t) => t.sid === trackSid);
      if (track !== undefined) {
        return { kind: track.type === TrackType.VIDEO ? 'video' : 'audio', mimeType: track.mimeType };
      }
    }
    return undefined;
  }
}
