/**
 * Edits of LiveKit's subscriber offer before werift reads it.
 *
 * LiveKit offers H.264 in packetization mode 0 first, and werift answers with the first offered entry of
 * each MIME type; the server then labels the stream with that payload type (it only falls back to the
 * MIME type), although the packets are mode 1 (FU-A/STAP-A) as the publisher sent them. Dropping the mode 0
 * entries (and their RTX) from the offer makes the negotiated `a=fmtp` describe the packets truthfully.
 */

/** Payload types of H.264 entries in packetization mode 0 (explicit, or by omission), and their RTX. */
function singleNalPayloadTypes(lines: readonly string[]): Set<string> {
  const h264 = new Set<string>();
  for (const line of lines) {
    const match = /^a=rtpmap:(\d+) H264\/90000/i.exec(line);
    if (match?.[1] !== undefined) h264.add(match[1]);
  }
  const dropped = new Set<string>();
  for (const pt of h264) {
    const fmtp = lines.find((line) => line.startsWith(`a=fmtp:${pt} `)) ?? '';
    if (!/packetization-mode=1/.test(fmtp)) dropped.add(pt);
  }
  for (const line of lines) {
    const rtx = /^a=fmtp:(\d+) apt=(\d+)$/.exec(line);
    if (rtx?.[1] !== undefined && rtx[2] !== undefined && dropped.has(rtx[2])) dropped.add(rtx[1]);
  }
  return dropped;
}

/** Removes one payload type's attributes and its entry in the m= line. */
function withoutPayloadTypes(lines: readonly string[], dropped: ReadonlySet<string>): string[] {
  const attribute = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+)[ ]/;
  return lines
    .filter((line) => {
      const pt = attribute.exec(line)?.[1];
      return pt === undefined || !dropped.has(pt);
    })
    .map((line) => {
      if (!line.startsWith('m=video ')) return line;
      const [m, port, proto, ...formats] = line.split(' ');
      return [m, port, proto, ...formats.filter((pt) => !dropped.has(pt))].join(' ');
    });
}

/**
 * Drops H.264 packetization-mode 0 from every video section that also offers mode 1. A section offering
 * only mode 0 is left alone, so it still negotiates.
 */
export function preferH264Mode1(sdp: string): string {
  const sections = sdp.split(/\r\n(?=m=)/);
  return sections
    .map((section) => {
      if (!section.startsWith('m=video ')) return section;
      const lines = section.split('\r\n');
      const dropped = singleNalPayloadTypes(lines);
      const h264Left = lines.some(
        (l) => /^a=rtpmap:(\d+) H264\//i.test(l) && !dropped.has(/:(\d+)/.exec(l)?.[1] ?? ''),
      );
      return dropped.size === 0 || !h264Left ? section : withoutPayloadTypes(lines, dropped).join('\r\n');
    })
    .join('\r\n');
}
