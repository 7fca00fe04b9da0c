/**
 * Opus in Ogg (RFC 7845), written page by page. Timing lives in granule positions, which only count
 * decoded samples, so a pause in the track (mute, lost packets) is filled with silent Opus packets of
 * 3 bytes per 20 ms: the file's timeline then equals the RTP timeline, whatever the player.
 */
import { randomInt } from 'node:crypto';
import type { ChunkOutput, ContainerWriter, MediaFrame } from './container.ts';
import { OggFlags, lacingSegments, oggPage } from './ogg-page.ts';
import { opusPacketSamples, opusSilence } from './opus.ts';

/** Options of an {@link OggOpusWriter}. */
export interface OggOpusWriterOptions {
  readonly output: ChunkOutput;
  /** Output channels announced in the ID header (1 or 2; Opus over WebRTC says 2). @default 2 */
  readonly channels?: number;
  /** Media per page, ms: at most this much is lost when the process dies mid-page. @default 1000 */
  readonly pageMs?: number;
  /** Encoder delay to discard at the start (RFC 7845 §4.2): libopus's lookahead at 48 kHz. @default 312 */
  readonly preSkip?: number;
  /** Gaps shorter than this many 48 kHz samples are not filled (jitter of the sender's clock). @default 120 */
  readonly minGapSamples?: number;
}

const encoder = new TextEncoder();

/** The identification header packet (RFC 7845 §5.1), channel mapping family 0. */
function opusHead(channels: number, preSkip: number): Uint8Array {
  const head = new Uint8Array(19);
  const view = new DataView(head.buffer);
  head.set(encoder.encode('OpusHead'), 0);
  head[8] = 1; // version
  head[9] = channels;
  view.setUint16(10, preSkip, true);
  view.setUint32(12, 48_000, true); // input sample rate, informational
  view.setInt16(16, 0, true); // output gain
  head[18] = 0; // mapping family 0: mono or stereo
  return head;
}

/** The comment header packet (RFC 7845 §5.2): vendor string, no user comments. */
function opusTags(): Uint8Array {
  const vendor = encoder.encode('universal-egress');
  const tags = new Uint8Array(8 + 4 + vendor.length + 4);
  const view = new DataView(tags.buffer);
  tags.set(encoder.encode('OpusTags'), 0);
  view.setUint32(8, vendor.length, true);
  tags.set(vendor, 12);
  view.setUint32(12 + vendor.length, 0, true);
  return tags;
}

/** Writes one Opus stream as Ogg pages. */
export class OggOpusWriter implements ContainerWriter {
  readonly kind = 'ogg';
  /** Ogg needs none: granule positions carry the duration. */
  readonly headerPatch = undefined;
  private readonly serial = randomInt(0, 2 ** 32);
  private readonly channels: number;
  private readonly preSkip: number;
  private readonly pageSamples: number;
  private readonly minGap: number;
  private sequence = 0;
  /** Samples decoded from every packet written so far: the next packet's position. */
  private position = 0;
  private pageStart = 0;
  private pending: Uint8Array[] = [];
  private segments = 0;
  private started = false;
  private packets = 0;
  private filled = 0;

  constructor(private readonly options: OggOpusWriterOptions) {
    this.channels = Math.min(Math.max(options.channels ?? 2, 1), 2);
    this.preSkip = options.preSkip ?? 312;
    this.pageSamples = ((options.pageMs ?? 1_000) * 48_000) / 1000;
    this.minGap = options.minGapSamples ?? 120;
  }

  get frames(): number {
    return this.packets;
  }

  /** Pauses filled with silence. */
  get gaps(): number {
    return this.filled;
  }

  get durationMs(): number {
    return Math.max(this.position - this.preSkip, 0) / 48;
  }

  /** Adds one Opus packet; `frame.time` is its RTP timestamp offset (48 kHz). */
  write(frame: MediaFrame): void {
    const samples = opusPacketSamples(frame.data);
    if (samples === 0) return;
    if (!this.started) {
      this.started = true;
      this.page([opusHead(this.channels, this.preSkip)], OggFlags.firstPage, false);
      this.page([opusTags()], 0, false);
      this.position = frame.time;
      this.pageStart = frame.time;
    }
    const gap = frame.time - this.position;
    if (gap >= this.minGap) {
      this.filled++;
      for (const silence of opusSilence(gap, this.channels === 2)) this.append(silence, opusPacketSamples(silence));
    }
    this.append(frame.data, samples);
    // The first page goes out with the first packet, so the recording counts as started at once.
    if (this.packets === 1 || this.position - this.pageStart >= this.pageSamples) this.flush(0);
  }

  finish(): void {
    if (this.started) this.flush(OggFlags.lastPage, true);
  }

  private append(packet: Uint8Array, samples: number): void {
    const segments = lacingSegments(packet.length);
    if (this.segments + segments > 255) this.flush(0);
    this.pending.push(packet);
    this.segments += segments;
    this.position += samples;
    this.packets++;
  }

  private flush(flags: number, always = false): void {
    if (this.pending.length === 0 && !always) return;
    this.page(this.pending, flags, true);
    this.pending = [];
    this.segments = 0;
    this.pageStart = this.position;
  }

  private page(packets: readonly Uint8Array[], flags: number, media: boolean): void {
    const granule = BigInt(media ? this.position : 0);
    const page = oggPage({ serial: this.serial, sequence: this.sequence++, granule, flags, packets });
    this.options.output(page, media);
  }
}
