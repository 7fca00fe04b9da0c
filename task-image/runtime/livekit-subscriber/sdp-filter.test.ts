import { expect, test } from 'vitest';
import { acceptsCandidate, filterSdpCandidates, iceConfig, loopbackIcePolicy } from './ice-policy.ts';
import { preferH264Mode1 } from './sdp-filter.ts';

const offer = [
  'v=0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 125 126 108 109',
  'a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host',
  'a=candidate:2 1 udp 2130706431 10.1.2.3 50000 typ host',
  'a=candidate:3 1 tcp 1671430143 127.0.0.1 40000 typ host tcptype passive',
  'a=rtpmap:96 VP8/90000',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96',
  'a=rtpmap:125 H264/90000',
  'a=fmtp:125 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
  'a=rtcp-fb:125 nack pli',
  'a=rtpmap:126 rtx/90000',
  'a=fmtp:126 apt=125',
  'a=rtpmap:108 H264/90000',
  'a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:109 rtx/90000',
  'a=fmtp:109 apt=108',
  '',
].join('\r\n');

test('drops H.264 packetization mode 0 and its RTX, keeps everything else', () => {
  const out = preferH264Mode1(offer);
  expect(out).toContain('m=video 9 UDP/TLS/RTP/SAVPF 96 97 108 109\r\n');
  expect(out).not.toMatch(/a=(rtpmap|fmtp|rtcp-fb):12[56] /);
  expect(out).toContain('a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f');
  expect(out).toContain('a=fmtp:97 apt=96');
});

test('leaves a section that offers only mode 0 alone', () => {
  const only0 = offer.replace('packetization-mode=1', 'packetization-mode=0');
  expect(preferH264Mode1(only0)).toBe(only0);
});

test('the loopback policy accepts only UDP candidates on 127.0.0.0/8', () => {
  expect(acceptsCandidate(loopbackIcePolicy, 'candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host')).toBe(true);
  expect(acceptsCandidate(loopbackIcePolicy, 'candidate:1 1 udp 2130706431 127.9.9.9 5000 typ host')).toBe(true);
  expect(acceptsCandidate(loopbackIcePolicy, 'candidate:1 1 UDP 2130706431 192.168.1.4 5000 typ host')).toBe(false);
  expect(acceptsCandidate(loopbackIcePolicy, 'candidate:1 1 tcp 1671430143 127.0.0.1 4000 typ host')).toBe(false);
  expect(acceptsCandidate(loopbackIcePolicy, 'candidate:x 1 udp 1 abcd.local 5000 typ host')).toBe(false);
  expect(acceptsCandidate(loopbackIcePolicy, '')).toBe(false);
  const filtered = filterSdpCandidates(loopbackIcePolicy, offer);
  expect(filtered).toContain('127.0.0.1 50000');
  expect(filtered).not.toContain('10.1.2.3');
  expect(filtered).not.toContain('tcptype');
});

test('the loopback werift config gathers on 127.0.0.1 only, with no STUN server', () => {
  const config = iceConfig(loopbackIcePolicy);
  expect(config).toMatchObject({
    iceServers: [],
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceInterfaceAddresses: { udp4: '127.0.0.1' },
    iceUseTcp: false,
  });
  expect(() => iceConfig({ localAddresses: [], acceptRemote: () => true })).toThrow(/IPv4 local addresses/);
});
