import type { Logger } from '#shared/logger.ts';
import type { EncodedFanout } from '../sinks/encoded-fanout.ts';
import type { EncodedSink } from '../sinks/encoded-sink.ts';
import { TS_PACKET_SIZE, TsProgram } from './ts-packets.ts';
import type { TsTimeline } from './ts-timeline.ts';

/**
 * Encode once, fan out: the encoder's MPEG-TS goes to every sink, each on its own. A sink added while the
 * stream runs waits for the next keyframe and gets the PAT/PMT first, so it starts clean. Writing never
 * waits for a sink: each sink bounds its own buffer and fails alone, which is what keeps a stalled RTMP
 * reader from freezing the file (the failure LiveKit's shared GStreamer pipeline shows).
 */
export class TsFanout implements EncodedFanout {
  private readonly program = new TsProgram();
  private readonly active = new Set<EncodedSink>();
  private readonly waiting = new Set<EncodedSink>();
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly logger: Logger,
    /** Told the PTS of every PES the stream carries, when the outputs need the media time. */
    private readonly timeline?: TsTimeline,
  ) {}

  /** PIDs of the stream's elementary streams (known once its PMT was seen). */
  get mediaPids(): ReadonlySet<number> {
    return this.program.mediaPids;
  }

  add(sink: EncodedSink): void {
    if (this.active.has(sink)) return;
    this.waiting.add(sink);
    this.logger.debug('output joins the encoded stream at the next keyframe', { output: sink.name });
  }

  remove(sink: EncodedSink): void {
    this.active.delete(sink);
    this.waiting.delete(sink);
  }

  /** Sinks currently receiving or waiting to receive. */
  get size(): number {
    return this.active.size + this.waiting.size;
  }

  /** Takes encoder output in any chunking; whole packets are passed on. */
  push(chunk: Buffer): void {
    const bytes = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const whole = bytes.length - (bytes.length % TS_PACKET_SIZE);
    this.pending = Buffer.from(bytes.subarray(whole));
    if (whole === 0) return;
    this.deliver(bytes.subarray(0, whole));
  }

  private deliver(packets: Buffer): void {
    let joinAt = -1;
    for (let offset = 0; offset < packets.length; offset += TS_PACKET_SIZE) {
      if (this.program.observe(packets, offset) && joinAt < 0) joinAt = offset;
      const pes = this.timeline === undefined ? undefined : this.program.pesStart(packets, offset);
      if (pes !== undefined) this.timeline?.observe(pes.pid, pes.pts);
    }
    for (const sink of this.active) sink.write(packets);
    const header = this.program.header;
    if (joinAt < 0 || header === undefined || this.waiting.size === 0) return;
    const start = Buffer.concat([header, packets.subarray(joinAt)]);
    for (const sink of this.waiting) {
      this.waiting.delete(sink);
      this.active.add(sink);
      sink.write(start);
    }
  }
}
