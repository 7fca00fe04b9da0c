/**
 * H.264 in fragmented MP4 (ISO/IEC 14496-12 §8.8), streamable: `ftyp` and a `moov` with empty sample
 * tables first, then one `moof` + `mdat` per fragment. A fragment ends at a key frame or after `fragmentMs`;
 * the first holds only the first key frame, so media reaches storage as soon as the second frame arrives.
 * Samples are timed on the RTP clock (90 kHz), so a pause is the duration of the frame before it. WebRTC
 * H.264 has no B-frames: decode and presentation times are equal. The movie's duration goes in an `mehd`
 * box that a sink able to write at an offset may put in place of a `free` box after the recording
 * ({@link FragmentedMp4Writer.headerPatch}); readers that scan the fragments do not need it.
 */
import type { ChunkOutput, ContainerWriter, HeaderPatch, MediaFrame } from './container.ts';
import { concatBytes } from './frame-assembler.ts';
import type { H264SpsInfo } from './h264-sps.ts';
import { ascii, avc1, avcC, box, fullBox, u16, u32, u64, unityMatrix } from './mp4-boxes.ts';

/** The parameter sets the sample entry is built from. */
export interface H264Config {
  readonly sps: Uint8Array;
  readonly pps: Uint8Array;
  readonly info: H264SpsInfo;
}

/** Options of a {@link FragmentedMp4Writer}. */
export interface FragmentedMp4WriterOptions {
  readonly output: ChunkOutput;
  /** The SPS/PPS in force at the first key frame. */
  readonly config: () => H264Config | undefined;
  /** RTP clock rate, used as the track's timescale. @default 90 000 */
  readonly clockRate?: number;
  /** Longest fragment, ms. @default 1000 */
  readonly fragmentMs?: number;
}

const trackId = 1;
/** sample_depends_on = 2 (an I-frame): a sync sample. */
const syncSample = 0x02000000;
/** sample_depends_on = 1, sample_is_non_sync_sample = 1. */
const nonSyncSample = 0x01010000;

/** `ftyp` + `moov` for one H.264 track with empty sample tables and `mvex`. */
function initSegment(config: H264Config, timescale: number): Uint8Array {
  const { width, height } = config.info;
  const zeros = (n: number): Uint8Array => new Uint8Array(n);
  const ftyp = box('ftyp', ascii('isom'), u32(0x200), ascii('isomiso6avc1mp41'));
  const mvhd = fullBox(
    'mvhd',
    0,
    0,
    ...[u32(0), u32(0), u32(1000), u32(0)], // creation, modification, timescale (ms), duration unknown
    ...[u32(0x00010000), u16(0x0100), zeros(10)], // rate 1.0, volume 1.0, reserved
    ...[unityMatrix, zeros(24), u32(trackId + 1)], // matrix, pre_defined, next_track_ID
  );
  const tkhd = fullBox(
    'tkhd',
    0,
    3, // enabled, in movie
    ...[u32(0), u32(0), u32(trackId), u32(0), u32(0), zeros(8)], // times, id, reserved, duration, reserved
    ...[u16(0), u16(0), u16(0), u16(0), unityMatrix], // layer, alternate_group, volume, reserved, matrix
    ...[u32(width * 0x10000), u32(height * 0x10000)],
  );
  const mdhd = fullBox('mdhd', 0, 0, u32(0), u32(0), u32(timescale), u32(0), u16(0x55c4), u16(0)); // 'und'
  const hdlr = fullBox('hdlr', 0, 0, u32(0), ascii('vide'), zeros(12), ascii('VideoHandler\0'));
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 1)));
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), avc1(width, height, avcC(config.sps, config.pps, config.info))),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(0)),
  );
  const minf = box('minf', fullBox('vmhd', 0, 1, zeros(8)), dinf, stbl);
  const trak = box('trak', tkhd, box('mdia', mdhd, hdlr, minf));
  const trex = fullBox('trex', 0, 0, u32(trackId), u32(1), u32(0), u32(0), u32(0));
  // A 16-byte `free` box where the `mehd` (the duration of all fragments) can go once it is known.
  const mvex = box('mvex', box('free', zeros(8)), trex);
  return concatBytes([ftyp, box('moov', mvhd, trak, mvex)]);
}

/** Writes one H.264 track as fragmented MP4. */
export class FragmentedMp4Writer implements ContainerWriter {
  readonly kind = 'mp4';
  private readonly timescale: number;
  private readonly fragmentTicks: number;
  private pending: MediaFrame[] = [];
  private sequence = 0;
  private lastTime = 0;
  private lastDuration = 0;
  private end = 0;
  private count = 0;
  /** Where the `free` box that stands in for the `mehd` starts (the init segment ends with it and `trex`). */
  private mehdOffset: number | undefined;

  constructor(private readonly options: FragmentedMp4WriterOptions) {
    this.timescale = options.clockRate ?? 90_000;
    this.fragmentTicks = ((options.fragmentMs ?? 1_000) * this.timescale) / 1000;
  }

  readonly gaps = 0;

  get frames(): number {
    return this.count;
  }

  get durationMs(): number {
    return (this.end * 1000) / this.timescale;
  }

  write(frame: MediaFrame): void {
    if (this.count === 0) {
      const config = this.options.config();
      if (config === undefined || !frame.keyFrame) return;
      const init = initSegment(config, this.timescale);
      this.mehdOffset = init.length - 32 - 16; // trex is 32 bytes
      this.options.output(init, false);
    }
    // Decode times strictly increase: a reordered or same-time frame goes one tick after the one before
    // (players and muxers reject two samples with one decode time).
    const time = this.count === 0 ? frame.time : Math.max(frame.time, this.lastTime + 1);
    const first = this.pending[0];
    if (first !== undefined && (this.sequence === 0 || frame.keyFrame || time - first.time >= this.fragmentTicks)) {
      this.fragment(time);
    }
    if (this.count > 0) this.lastDuration = time - this.lastTime;
    this.lastTime = time;
    this.count++;
    this.pending.push(time === frame.time ? frame : { ...frame, time });
  }

  finish(endTime?: number): void {
    if (this.pending.length === 0) return;
    // The last frame lasts until the cut, or else as long as the one before it (its real length is unknowable).
    const guessed = this.lastTime + Math.min(this.lastDuration, this.timescale / 5);
    this.fragment(endTime !== undefined && endTime > this.lastTime ? endTime : guessed);
  }

  get headerPatch(): HeaderPatch | undefined {
    const offset = this.mehdOffset;
    // fragment_duration in the movie timescale (ms).
    return offset === undefined
      ? undefined
      : { offset, bytes: fullBox('mehd', 0, 0, u32(Math.round(this.durationMs))) };
  }

  /** Emits the pending frames as one fragment; `nextTime` ends the last frame. */
  private fragment(nextTime: number): void {
    const frames = this.pending;
    this.pending = [];
    const first = frames[0];
    if (first === undefined) return;
    const count = frames.length;
    const trunFields = new Uint8Array(12 * count);
    const view = new DataView(trunFields.buffer);
    let dataLength = 0;
    frames.forEach((frame, i) => {
      view.setUint32(12 * i, (frames[i + 1]?.time ?? nextTime) - frame.time);
      view.setUint32(12 * i + 4, frame.data.length);
      view.setUint32(12 * i + 8, frame.keyFrame ? syncSample : nonSyncSample);
      dataLength += frame.data.length;
    });
    // moof = 8 + mfhd 16 + traf (8 + tfhd 16 + tfdt 20 + trun 20 + 12n); data follows the 8-byte mdat header.
    const moofLength = 8 + 16 + 8 + 16 + 20 + 20 + 12 * count;
    const trun = fullBox('trun', 0, 0x000701, u32(count), u32(moofLength + 8), trunFields);
    const traf = box(
      'traf',
      fullBox('tfhd', 0, 0x020000, u32(trackId)), // default-base-is-moof
      fullBox('tfdt', 1, 0, u64(first.time)),
      trun,
    );
    const moof = box('moof', fullBox('mfhd', 0, 0, u32(++this.sequence)), traf);
    const mdatHeader = concatBytes([u32(8 + dataLength), ascii('mdat')]);
    this.options.output(concatBytes([moof, mdatHeader, ...frames.map((f) => f.data)]), true);
    this.end = nextTime;
  }
}
