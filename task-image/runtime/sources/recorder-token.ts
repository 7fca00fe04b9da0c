import { AccessToken } from 'livekit-server-sdk';

/**
 * The token the task joins the room with, as LiveKit egress makes it: identity = egress id, kind `egress`,
 * a hidden recorder that subscribes and never publishes, valid 24 h.
 */
export async function recorderToken(
  apiKey: string,
  apiSecret: string,
  egressId: string,
  room: string,
): Promise<string> {
  const token = new AccessToken(apiKey, apiSecret, { identity: egressId, ttl: '24h' });
  token.kind = 'egress';
  token.addGrant({
    roomJoin: true,
    room,
    canSubscribe: true,
    canPublish: false,
    canPublishData: false,
    hidden: true,
    recorder: true,
  });
  return token.toJwt();
}
