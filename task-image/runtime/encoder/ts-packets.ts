/**
 * Just enough MPEG-TS to fan one encoded stream out to outputs that join at any time: find the PAT and PMT,
 * the video elementary stream, and the packets where a video keyframe (or, for audio only, any PES) starts.
 * The producer is our own ffmpeg (mpegts muxer), whose packets are 188 bytes and whose keyframes carry the
 * adaptation field's random_access_indicator.
 */

/** Size of one transport stream packet. */
export const TS_PACKET_SIZE = 188;
const SYNC_BYTE = 0x47;
const PAT_PID = 0;
/** PMT stream types of H.264 (0x1b) — the only video codec the composite encoder writes. */
const videoStreamTypes = new Set([0x1b]);

/** The fields of one packet header the fan-out needs. */
export interface TsPacketHeader {
  readonly pid: number;
  readonly payloadStart: boolean;
  readonly randomAccess: boolean;
  /** Offset of the payload inside the packet (after the adaptation field), or -1 when there is none. */
  readonly payloadOffset: number;
}

/** Reads the header of the packet at `offset`; undefined when the sync byte is not there. */
export function readPacketHeader(buf: Uint8Array, offset: number): TsPacketHeader | undefined {
  if (offset + TS_PACKET_SIZE > buf.length || buf[offset] !== SYNC_BYTE) return undefined;
  const b1 = buf[offset + 1] ?? 0;
  const b3 = buf[offset + 3] ?? 0;
  const pid = ((b1 & 0x1f) << 8) | (buf[offset + 2] ?? 0);
  const control = (b3 >> 4) & 0x3;
  let payloadOffset = 4;
  let randomAccess = false;
  if (control === 2 || control === 3) {
    const length = buf[offset + 4] ?? 0;
    if (length > 0) randomAccess = ((buf[offset + 5] ?? 0) & 0x40) !== 0;
    payloadOffset = 5 + length;
  }
  const hasPayload = (control === 1 || control === 3) && payloadOffset < TS_PACKET_SIZE;
  return { pid, payloadStart: (b1 & 0x40) !== 0, randomAccess, payloadOffset: hasPayload ? payloadOffset : -1 };
}

/** Section payload of a PSI packet (after the pointer field), or undefined. */
function sectionOf(buf: Uint8Array, offset: number, header: TsPacketHeader): Uint8Array | undefined {
  if (!header.payloadStart || header.payloadOffset < 0) return undefined;
  const start = offset + header.payloadOffset;
  const pointer = buf[start] ?? 0;
  return buf.subarray(start + 1 + pointer, offset + TS_PACKET_SIZE);
}

/** PMT PIDs listed in a PAT packet. */
export function pmtPidsOf(buf: Uint8Array, offset: number, header: TsPacketHeader): number[] {
  const section = sectionOf(buf, offset, header);
  if (section === undefined || section[0] !== 0x00) return [];
  const length = (((section[1] ?? 0) & 0x0f) << 8) | (section[2] ?? 0);
  const end = Math.min(3 + length - 4, section.length); // minus CRC
  const pids: number[] = [];
  for (let i = 8; i + 4 <= end; i += 4) {
    const program = ((section[i] ?? 0) << 8) | (section[i + 1] ?? 0);
    if (program !== 0) pids.push((((section[i + 2] ?? 0) & 0x1f) << 8) | (section[i + 3] ?? 0));
  }
  return pids;
}

/** Elementary streams of a PMT packet: PID and stream type. */
export function streamsOf(buf: Uint8Array, offset: number, header: TsPacketHeader): { pid: number; type: number }[] {
  const section = sectionOf(buf, offset, header);
  if (section === undefined || section[0] !== 0x02) return [];
  const length = (((section[1] ?? 0) & 0x0f) << 8) | (section[2] ?? 0);
  const end = Math.min(3 + length - 4, section.length);
  const programInfoLength = (((section[10] ?? 0) & 0x0f) << 8) | (section[11] ?? 0);
  const streams: { pid: number; type: number }[] = [];
  for (let i = 12 + programInfoLength; i + 5 <= end;) {
    const type = section[i] ?? 0;
    const pid = (((section[i + 1] ?? 0) & 0x1f) << 8) | (section[i + 2] ?? 0);
    const infoLength = (((section[i + 3] ?? 0) & 0x0f) << 8) | (section[i + 4] ?? 0);
    streams.push({ pid, type });
    i += 5 + infoLength;
  }
  return streams;
}

/**
 * Tracks the program of a live stream packet by packet: the latest PAT and PMT packets (prepended for an
 * output that joins late) and which packets start a point an output can join at.
 */
export class TsProgram {
  private pat: Buffer | undefined;
  private pmt: Buffer | undefined;
  private pmtPid: number | undefined;
  private videoPid: number | undefined;
  private anyPid: number | undefined;
  private readonly media = new Set<number>();

  /** PIDs of the program's elementary streams (audio, video). */
  get mediaPids(): ReadonlySet<number> {
    return this.media;
  }

  /** The PTS of a PES of an elementary stream starting in the packet at `offset`, with its PID. */
  pesStart(buf: Buffer, offset: number): { pid: number; pts: number } | undefined {
    const header = readPacketHeader(buf, offset);
    if (header === undefined || !this.media.has(header.pid)) return undefined;
    const pts = pesPtsOf(buf, offset, header);
    return pts === undefined ? undefined : { pid: header.pid, pts };
  }

  /** PAT + PMT, once both were seen: what a joining output reads first. */
  get header(): Buffer | undefined {
    return this.pat !== undefined && this.pmt !== undefined ? Buffer.concat([this.pat, this.pmt]) : undefined;
  }

  /**
   * Looks at the packet at `offset`; returns true when an output may join at it: a video keyframe starts
   * there (or, in a stream without video, any PES of the first stream), and the PAT/PMT are known.
   */
  observe(buf: Buffer, offset: number): boolean {
    const header = readPacketHeader(buf, offset);
    if (header === undefined) return false;
    if (header.pid === PAT_PID) {
      this.pat = Buffer.from(buf.subarray(offset, offset + TS_PACKET_SIZE));
      this.pmtPid = pmtPidsOf(buf, offset, header)[0] ?? this.pmtPid;
      return false;
    }
    if (header.pid === this.pmtPid) {
      const streams = streamsOf(buf, offset, header);
      if (streams.length > 0) {
        this.pmt = Buffer.from(buf.subarray(offset, offset + TS_PACKET_SIZE));
        this.videoPid = streams.find((s) => videoStreamTypes.has(s.type))?.pid;
        this.anyPid = streams[0]?.pid;
        this.media.clear();
        for (const stream of streams) this.media.add(stream.pid);
      }
      return false;
    }
    if (this.header === undefined || !header.payloadStart) return false;
    if (this.videoPid !== undefined) return header.pid === this.videoPid && header.randomAccess;
    return header.pid === this.anyPid;
  }
}

/** PTS values wrap at 2^33 ticks of the 90 kHz clock (26.5 hours). */
export const PTS_WRAP = 2 ** 33;

/**
 * The PTS (90 kHz ticks, 33 bits) of the PES that starts in the packet at `offset`, or undefined when no
 * PES starts there or it carries no PTS.
 */
export function pesPtsOf(buf: Uint8Array, offset: number, header: TsPacketHeader): number | undefined {
  if (!header.payloadStart || header.payloadOffset < 0) return undefined;
  const p = offset + header.payloadOffset;
  if (p + 14 > offset + TS_PACKET_SIZE) return undefined;
  if (buf[p] !== 0 || buf[p + 1] !== 0 || buf[p + 2] !== 1) return undefined;
  if (((buf[p + 7] ?? 0) & 0x80) === 0) return undefined;
  const b = (i: number): number => buf[p + 9 + i] ?? 0;
  // 3 + 8 + 7 + 8 + 7 bits; multiplication, not shifts, for the top bits (JS shifts are 32-bit).
  return ((b(0) >> 1) & 0x07) * 2 ** 30 + b(1) * 2 ** 22 + (b(2) >> 1) * 2 ** 15 + b(3) * 2 ** 7 + (b(4) >> 1);
}

/** Signed distance `to − from` of two 33-bit PTS values, in ticks. */
export function ptsDistance(from: number, to: number): number {
  const d = (((to - from) % PTS_WRAP) + PTS_WRAP) % PTS_WRAP;
  return d >= PTS_WRAP / 2 ? d - PTS_WRAP : d;
}

/**
 * The packets of `chunks` up to a cut: on each elementary stream in `mediaPids`, everything from the first
 * PES whose PTS is after `cutPts` on is dropped; other packets (PAT, PMT) pass.
 */
export function cutAfter(chunks: readonly Buffer[], cutPts: number, mediaPids: ReadonlySet<number>): Buffer[] {
  const ended = new Set<number>();
  const kept: Buffer[] = [];
  for (const chunk of chunks) {
    const packets: Buffer[] = [];
    for (let offset = 0; offset + TS_PACKET_SIZE <= chunk.length; offset += TS_PACKET_SIZE) {
      const header = readPacketHeader(chunk, offset);
      if (header === undefined) continue;
      if (mediaPids.has(header.pid)) {
        const pts = pesPtsOf(chunk, offset, header);
        if (pts !== undefined && ptsDistance(cutPts, pts) > 0) ended.add(header.pid);
        if (ended.has(header.pid)) continue;
      }
      packets.push(chunk.subarray(offset, offset + TS_PACKET_SIZE));
    }
    if (packets.length > 0) kept.push(Buffer.concat(packets));
  }
  return kept;
}
