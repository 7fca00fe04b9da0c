/**
 * A script run in every page and frame before the page's own (puppeteer `evaluateOnNewDocument`): WebRTC
 * is not proxied, so ICE servers and remote candidates on link-local or metadata addresses (IP literals)
 * are dropped before the browser sends them a packet. Host names pass: the browser resolves them itself.
 * Kept as plain JavaScript in a string, since it runs in the page, not in Node.
 */
export const webrtcGuardScript = `(() => {
  const Native = window.RTCPeerConnection;
  if (typeof Native !== 'function') return;
  const v4 = (a) => {
    const m = /^(\\d+)\\.(\\d+)\\.(\\d+)\\.(\\d+)$/.exec(a);
    if (m === null) return null;
    return m.slice(1).map(Number);
  };
  const blocked = (raw) => {
    const a = String(raw).replace(/^\\[|\\]$/g, '').toLowerCase();
    const mapped = /^::ffff:(\\d+\\.\\d+\\.\\d+\\.\\d+)$/.exec(a);
    const q = v4(mapped === null ? a : mapped[1]);
    if (q !== null) return (q[0] === 169 && q[1] === 254) || q[0] === 0;
    if (/^\\d+$/.test(a)) return blocked([24, 16, 8, 0].map((s) => (Number(a) >>> s) & 255).join('.'));
    return /^fe[89ab][0-9a-f]?:/.test(a) || /^fd00:0?ec2:/.test(a) || a === '::';
  };
  const hostOf = (url) => {
    const rest = String(url).replace(/^(stuns?|turns?):/i, '').split('?')[0];
    const v6 = /^\\[([^\\]]+)\\]/.exec(rest);
    return v6 !== null ? v6[1] : rest.split(':')[0];
  };
  const safeServers = (config) => {
    if (config === undefined || config === null || !Array.isArray(config.iceServers)) return config;
    const iceServers = config.iceServers
      .map((s) => {
        const urls = (Array.isArray(s.urls) ? s.urls : [s.urls]).filter((u) => !blocked(hostOf(u)));
        return urls.length === 0 ? null : { ...s, urls };
      })
      .filter((s) => s !== null);
    return { ...config, iceServers };
  };
  const candidateBlocked = (line) => {
    const parts = String(line).replace(/^a=/, '').split(' ');
    return parts.length > 4 && blocked(parts[4]);
  };
  const safeSdp = (sdp) => String(sdp).split('\\r\\n').filter((l) => !(l.startsWith('a=candidate:') && candidateBlocked(l))).join('\\r\\n');
  class Guarded extends Native {
    constructor(config, ...rest) { super(safeServers(config), ...rest); }
    setConfiguration(config) { return super.setConfiguration(safeServers(config)); }
    setRemoteDescription(desc, ...rest) {
      if (desc && typeof desc.sdp === 'string') desc = { type: desc.type, sdp: safeSdp(desc.sdp) };
      return super.setRemoteDescription(desc, ...rest);
    }
    addIceCandidate(candidate, ...rest) {
      const text = candidate && typeof candidate === 'object' ? candidate.candidate : candidate;
      if (typeof text === 'string' && candidateBlocked(text)) return Promise.resolve();
      return super.addIceCandidate(candidate, ...rest);
    }
  }
  Object.defineProperty(window, 'RTCPeerConnection', { value: Guarded, writable: false, configurable: false });
  Object.defineProperty(window, 'webkitRTCPeerConnection', { value: Guarded, writable: false, configurable: false });
})();`;
