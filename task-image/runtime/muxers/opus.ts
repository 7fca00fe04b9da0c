/**
 * What the Ogg writer needs to know about Opus packets (RFC 6716 §3.1), read from the TOC byte only:
 * how many 48 kHz samples a packet holds, and a silent packet to fill a pause with.
 */

/** Samples (at 48 kHz) of one frame, by the TOC's configuration number (RFC 6716 Table 2). */
function frameSamples(config: number): number {
  if (config < 12) return [480, 960, 1920, 2880][config % 4] ?? 960; // SILK: 10, 20, 40, 60 ms
  if (config < 16) return config % 2 === 0 ? 480 : 960; // Hybrid: 10, 20 ms
  return [120, 240, 480, 960][config % 4] ?? 960; // CELT: 2.5, 5, 10, 20 ms
}

/**
 * Samples (48 kHz) decoded from one Opus packet, or 0 for a packet that is not valid Opus (empty, or a
 * code 3 packet without its frame count). At most 5 760 (120 ms), as RFC 6716 allows.
 */
export function opusPacketSamples(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) return 0;
  const perFrame = frameSamples(toc >> 3);
  switch (toc & 0x03) {
    case 0:
      return perFrame;
    case 1:
    case 2:
      return 2 * perFrame;
    default: {
      const count = packet[1];
      if (count === undefined) return 0;
      return Math.min((count & 0x3f) * perFrame, 5_760);
    }
  }
}

/** CELT-only fullband configurations by frame length: 2.5, 5, 10 and 20 ms (RFC 6716 Table 2). */
const celtConfigs: readonly { readonly config: number; readonly samples: number }[] = [
  { config: 31, samples: 960 },
  { config: 30, samples: 480 },
  { config: 29, samples: 240 },
  { config: 28, samples: 120 },
];

/**
 * A CELT frame whose first range-coded symbol is the silence flag (RFC 6716 §4.3, Table 56): bytes
 * 0xFF 0xFE decode to "silence = 1", after which a CELT decoder outputs zeros and reads nothing more.
 */
const silentCeltFrame = [0xff, 0xfe];

/**
 * Opus packets of digital silence covering as much of `samples` as whole CELT frames can (20 ms frames,
 * then 10, 5 and 2.5 ms for the rest); under 120 samples are left over. Each packet is 3 bytes.
 */
export function opusSilence(samples: number, stereo: boolean): Uint8Array[] {
  const packets: Uint8Array[] = [];
  let left = samples;
  for (const { config, samples: size } of celtConfigs) {
    const toc = (config << 3) | (stereo ? 0x04 : 0);
    for (; left >= size; left -= size) packets.push(Uint8Array.of(toc, ...silentCeltFrame));
  }
  return packets;
}
