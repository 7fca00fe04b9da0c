import { beforeAll, describe, expect, it } from 'vitest';
import { startEncodedTestStream } from '#bench/encoded-test-stream.ts';
import { createLogger } from '#shared/logger.ts';
import type { EgressError } from '#domain/errors.ts';
import type { EncodedSink } from '../sinks/encoded-sink.ts';
import { TS_PACKET_SIZE, readPacketHeader } from './ts-packets.ts';
import { TsFanout } from './ts-fanout.ts';

/** A sink that keeps what it is given. */
class Collector implements EncodedSink {
  readonly name = 'collector';
  readonly chunks: Buffer[] = [];
  write(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
  finish() {
    return Promise.resolve(() => undefined);
  }
  abort(): Promise<void> {
    return Promise.resolve();
  }
  onFailure(_listener: (err: EgressError) => void): void {}
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

describe('TsFanout over a real encoded stream (ffmpeg, H.264 + AAC in MPEG-TS)', () => {
  let stream: Buffer;

  beforeAll(async () => {
    const chunks: Buffer[] = [];
    const source = startEncodedTestStream({ seconds: 3, keyFrameIntervalSec: 1, realtime: false }, (c) =>
      chunks.push(c),
    );
    await source.done;
    stream = Buffer.concat(chunks);
  }, 30_000);

  it('starts every sink with PAT and PMT, then a video keyframe, however the bytes are chunked', () => {
    const fanout = new TsFanout(createLogger({ component: 'fanout-test' }));
    const early = new Collector();
    fanout.add(early);
    const late = new Collector();
    // Odd chunk sizes: packets are re-aligned by the fan-out.
    for (let offset = 0, n = 0; offset < stream.length; n++) {
      const size = 1000 + (n % 7) * 333;
      fanout.push(stream.subarray(offset, offset + size));
      offset += size;
      if (n === 40) fanout.add(late);
    }
    for (const sink of [early, late]) {
      const bytes = sink.bytes;
      expect(bytes.length % TS_PACKET_SIZE).toBe(0);
      expect(readPacketHeader(bytes, 0)?.pid).toBe(0); // PAT
      const third = readPacketHeader(bytes, 2 * TS_PACKET_SIZE);
      expect(third?.payloadStart).toBe(true);
      expect(third?.randomAccess).toBe(true); // the keyframe
    }
    expect(late.bytes.length).toBeLessThan(early.bytes.length);
    expect(late.bytes.length).toBeGreaterThan(0);
  });

  it('stops writing to a removed sink', () => {
    const fanout = new TsFanout(createLogger({ component: 'fanout-test' }));
    const sink = new Collector();
    fanout.add(sink);
    fanout.push(stream.subarray(0, 188 * 400));
    const before = sink.bytes.length;
    fanout.remove(sink);
    fanout.push(stream.subarray(188 * 400, 188 * 800));
    expect(sink.bytes.length).toBe(before);
    expect(fanout.size).toBe(0);
  });
});
