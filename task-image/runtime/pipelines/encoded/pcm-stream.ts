import { StreamInfo, StreamInfo_Status } from '@livekit/protocol';
import type { EgressError } from '#domain/errors.ts';
import { nowNanos } from '#domain/egress-record.ts';
import type { StreamUrl } from '#domain/request/stream-url.ts';
import type { Logger } from '#shared/logger.ts';
import { WebSocketSink } from '../../sinks/websocket-sink.ts';
import type { InfoPatch } from '../pipeline.ts';

/**
 * A composite egress's WebSocket stream: the room's mixed audio as PCM s16le 48 kHz stereo (what the
 * encoder writes on its PCM pipe), sent as LiveKit's track egress sends it. Its failure ends the egress
 * only when it is the last output.
 */
export class PcmStream {
  private startedAt = 0n;
  private odd: Buffer | undefined;
  private failure: EgressError | undefined;

  private constructor(
    private readonly target: StreamUrl,
    private readonly sink: WebSocketSink,
  ) {}

  /** Connects to the receiver; a refused connection is the destination's 503. */
  static async open(target: StreamUrl, logger: Logger, onFailure: (err: EgressError) => void): Promise<PcmStream> {
    const sink = await WebSocketSink.open(target.url, logger);
    const stream = new PcmStream(target, sink);
    sink.onFailure((err) => {
      stream.failure = err;
      onFailure(err);
    });
    return stream;
  }

  /** PCM bytes from the encoder, in any chunking (samples are re-aligned to whole 16-bit values). */
  push(chunk: Buffer): void {
    const bytes = this.odd === undefined ? chunk : Buffer.concat([this.odd, chunk]);
    const even = bytes.length - (bytes.length % 4);
    this.odd = even < bytes.length ? Buffer.from(bytes.subarray(even)) : undefined;
    if (even === 0) return;
    const copy = Buffer.from(bytes.subarray(0, even));
    if (this.startedAt === 0n) this.startedAt = nowNanos();
    this.sink.writePcm(new Int16Array(copy.buffer, copy.byteOffset, copy.byteLength / 2));
  }

  /** Closes the connection and reports the stream's result. */
  async finish(): Promise<InfoPatch> {
    await this.sink.close();
    const endedAt = nowNanos();
    const startedAt = this.startedAt === 0n ? endedAt : this.startedAt;
    const info = new StreamInfo({
      url: this.target.redactedUrl,
      startedAt,
      endedAt,
      duration: endedAt - startedAt,
      status: this.failure === undefined ? StreamInfo_Status.FINISHED : StreamInfo_Status.FAILED,
      error: this.failure?.message ?? '',
    });
    return (egress) => {
      egress.streamResults = [info];
    };
  }
}
