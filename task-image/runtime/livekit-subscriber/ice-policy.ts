/**
 * Where the subscriber's ICE may gather and connect. werift on its own enumerates every interface, asks a
 * public STUN server and resolves mDNS names; none of that is wanted here, so the policy names the exact
 * local addresses to bind and the remote addresses to accept, and the peer is configured from it.
 */
import { isIPv4 } from 'node:net';
import type { PeerConfig } from 'werift';

/** Local and remote addresses ICE may use. */
export interface IcePolicy {
  /** Local IPv4 addresses to gather host candidates on (sockets are bound to the first). Never empty. */
  readonly localAddresses: readonly string[];
  /** Accepts a remote candidate address; rejected candidates are dropped before werift sees them. */
  readonly acceptRemote: (address: string) => boolean;
}

/** True for 127.0.0.0/8. */
export function isLoopbackV4(address: string): boolean {
  return isIPv4(address) && address.startsWith('127.');
}

/**
 * The default: host candidates on 127.0.0.1 only, remote candidates only from 127.0.0.0/8, no STUN/TURN,
 * no TCP, no mDNS. What the tests' LiveKit server (which offers only 127.0.0.1) needs, and nothing leaves
 * the machine.
 */
export const loopbackIcePolicy: IcePolicy = { localAddresses: ['127.0.0.1'], acceptRemote: isLoopbackV4 };

/** werift settings that enforce `policy`. STUN/TURN servers from the JoinResponse are deliberately unused. */
export function iceConfig(policy: IcePolicy): Partial<PeerConfig> {
  const [bindAddress] = policy.localAddresses;
  if (bindAddress === undefined || !policy.localAddresses.every((a) => isIPv4(a))) {
    throw new TypeError(`ICE policy needs IPv4 local addresses, got [${policy.localAddresses.join(', ')}]`);
  }
  return {
    iceServers: [],
    // Interface enumeration off: the only host candidates are the policy's addresses.
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: [...policy.localAddresses],
    // Binding the UDP socket to the address means the kernel cannot route it anywhere else either.
    iceInterfaceAddresses: { udp4: bindAddress },
    iceUseTcp: false,
    iceUseLinkLocalAddress: false,
    iceFilterCandidatePair: (pair) => policy.acceptRemote(pair.remoteCandidate.host),
  };
}

/** Parsed `candidate:` line fields the policy needs. */
interface CandidateAddress {
  readonly address: string;
  readonly protocol: string;
}

/** Address and transport of an SDP candidate line (`candidate:…` or `a=candidate:…`), if it parses. */
export function candidateAddress(line: string): CandidateAddress | undefined {
  const fields = line.replace(/^a=/, '').split(' ');
  const [, , protocol, , address] = fields;
  if (protocol === undefined || address === undefined) return undefined;
  return { address, protocol: protocol.toLowerCase() };
}

/** True when a remote candidate is UDP and its address passes the policy. */
export function acceptsCandidate(policy: IcePolicy, line: string): boolean {
  const parsed = candidateAddress(line);
  return parsed !== undefined && parsed.protocol === 'udp' && policy.acceptRemote(parsed.address);
}

/** Removes from an SDP every candidate line the policy rejects (LiveKit usually trickles them instead). */
export function filterSdpCandidates(policy: IcePolicy, sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') || acceptsCandidate(policy, line))
    .join('\r\n');
}
