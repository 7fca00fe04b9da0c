import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { isBlockedAddress } from '#domain/network-guard.ts';
import { isLoopbackV4, loopbackIcePolicy, type IcePolicy } from '../livekit-subscriber/index.ts';

/**
 * The raw-RTP subscriber's ICE policy for a LiveKit URL: loopback only when the server is on this machine
 * (local mode, tests); otherwise the task's own IPv4 addresses, accepting any remote address except the
 * blocked (link-local, metadata) ranges.
 */
export function icePolicyFor(livekitUrl: string): IcePolicy {
  const host = new URL(livekitUrl.replace(/^ws/, 'http')).hostname;
  if (host === 'localhost' || isLoopbackV4(host)) return loopbackIcePolicy;
  const local = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && isIPv4(a.address) && !isBlockedAddress(a.address))
    .map((a) => a.address);
  if (local.length === 0) return loopbackIcePolicy;
  return { localAddresses: local, acceptRemote: (address) => isIPv4(address) && !isBlockedAddress(address) };
}
