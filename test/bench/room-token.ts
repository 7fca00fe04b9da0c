import { AccessToken } from 'livekit-server-sdk';

/** Where and as whom a bench participant joins. */
export interface RoomJoin {
  /** `ws://127.0.0.1:<port>` of the LiveKit server. */
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly room: string;
  readonly identity: string;
}

/** A join token for `join`, allowed to publish or to subscribe as asked. */
export async function joinToken(join: RoomJoin, can: { publish: boolean; subscribe: boolean }): Promise<string> {
  const token = new AccessToken(join.apiKey, join.apiSecret, { identity: join.identity, ttl: '1h' });
  token.addGrant({ roomJoin: true, room: join.room, canPublish: can.publish, canSubscribe: can.subscribe });
  return token.toJwt();
}
