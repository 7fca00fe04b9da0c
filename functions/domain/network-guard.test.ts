import { describe, expect, it } from 'vitest';
import { EgressError } from './errors.ts';
import { assertAllowedDestination, isBlockedAddress } from './network-guard.ts';

describe('network guard', () => {
  it('blocks link-local, metadata and unspecified addresses', () => {
    for (const ip of [
      '169.254.169.254',
      '169.254.170.2',
      'fd00:ec2::254',
      'fe80::1',
      '0.0.0.0',
      '::',
      '::ffff:169.254.169.254',
    ]) {
      expect(isBlockedAddress(ip), ip).toBe(true);
    }
  });

  it('allows loopback, private and public addresses', () => {
    for (const ip of ['127.0.0.1', '::1', '10.0.0.5', '192.168.1.1', '8.8.8.8', '2001:db8::1']) {
      expect(isBlockedAddress(ip), ip).toBe(false);
    }
  });

  it('rejects URLs aimed at blocked hosts with invalid_argument', () => {
    for (const url of [
      'http://169.254.170.2/v2/credentials',
      'http://[fd00:ec2::254]/',
      'http://metadata.google.internal/',
    ]) {
      expect(() => assertAllowedDestination(new URL(url), 'webhook')).toThrow(EgressError);
    }
    expect(() => assertAllowedDestination(new URL('https://example.com/hook'), 'webhook')).not.toThrow();
  });
});
