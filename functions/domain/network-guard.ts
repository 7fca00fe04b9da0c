import { BlockList, isIP } from 'node:net';
import { EgressError } from './errors.ts';

/**
 * Addresses no egress output, webhook or page may reach: link-local ranges hold the cloud metadata and
 * credential endpoints (169.254.169.254, 169.254.170.2, fd00:ec2::254), so reaching them from a task
 * could leak its AWS credentials into a recording (design decision 13).
 */
const blocked = new BlockList();
blocked.addSubnet('169.254.0.0', 16, 'ipv4');
blocked.addSubnet('0.0.0.0', 8, 'ipv4');
blocked.addSubnet('fe80::', 10, 'ipv6');
blocked.addSubnet('fd00:ec2::', 32, 'ipv6');
blocked.addSubnet('::', 128, 'ipv6');

/** Whether `address` (an IP literal) is one that must never be contacted. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1] !== undefined) return blocked.check(mapped[1], 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return blocked.check(address, 'ipv4');
}

/** Host names that resolve to metadata endpoints on some clouds, rejected before any lookup. */
const blockedHostnames = new Set([
  'metadata.google.internal',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

/**
 * Throws `invalid_argument` when `url`'s host is a blocked IP literal or metadata name. Host names are
 * checked again after DNS resolution by the guarded connection (a name may resolve to a blocked address).
 */
export function assertAllowedDestination(url: URL, what: string): void {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isBlockedAddress(host) || blockedHostnames.has(host)) {
    throw new EgressError('invalid_argument', `${what} ${url.protocol}//${url.host} is not an allowed destination`);
  }
}
