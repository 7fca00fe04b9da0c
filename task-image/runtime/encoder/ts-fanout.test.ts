import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEncodedTestStream } from '#bench/encoded-test-stream.ts';
import { runTool } from '#bench/tool-run.ts';
import { createLogger } from '#shared/logger.ts';
import type { EgressError } from '#domain/errors.ts';
import type { EncodedSink } from '../sinks/encoded-sink.ts';
import { TS_PACKET_SIZE, cutAfter, readPacketHeader } from './ts-packets.ts';
import { TsFanout } from './ts-fanout.ts';
import { TsTimeline } from './ts-timeline.ts';

/** A timeline that also keeps every PTS it is told, per PID. */
class RecordingTimeline extends TsTimeline {
  readonly seen = new Map<number, number[]>();
  override observe(pid: number, pts: number): void {
    this.seen.set(pid, [...(this.seen.get(pid) ?? []), pts]);
    super.observe(pid, pts);
  }
}

/** Every packet's stream index and PTS (90 kHz) as ffprobe reads them. */
async function probePts(file: string): Promise<{ stream: number; pts: number }[]> {
  const out: Buffer[] = [];
  const args = ['-v', 'error', '-show_entries', 'packet=stream_index,pts', '-of', 'json', file];
  await runTool('ffprobe', args, { onStdout: (c) => out.push(c) });
  const parsed = JSON.parse(Buffer.concat(out).toString()) as { packets: { stream_index: number; pts: number }[] };
  return parsed.packets.map((p) => ({ stream: p.stream_index, pts: p.pts }));
}

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

  let scratch: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'ts-fanout-'));
    const chunks: Buffer[] = [];
    const source = startEncodedTestStream({ seconds: 3, keyFrameIntervalSec: 1, realtime: false }, (c) =>
      chunks.push(c),
    );
    await source.done;
    stream = Buffer.concat(chunks);
  }, 30_000);

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it('reads the PTS of every PES as ffprobe does, maps it onto the wall clock, and cuts at one', async () => {
    const timeline = new RecordingTimeline((first) => 1_000_000 - first / 90);
    const seen = timeline.seen;
    const fanout = new TsFanout(createLogger({ component: 'fanout-test' }), timeline);
    const sink = new Collector();
    fanout.add(sink);
    for (let offset = 0; offset < stream.length; offset += 1316) fanout.push(stream.subarray(offset, offset + 1316));
    const file = join(scratch, 'whole.ts');
    await writeFile(file, stream);
    const probed = await probePts(file);
    // Two elementary streams; per stream, the PES starts are exactly ffprobe's packets (one frame each).
    expect([...fanout.mediaPids]).toHaveLength(2);
    const byPid = [...seen.values()].map((list) => [...list].sort((a, b) => a - b));
    const byStream = [0, 1].map((i) => probed.filter((p) => p.stream === i).map((p) => p.pts));
    expect(byPid.map((l) => l.length).sort()).toEqual(byStream.map((l) => l.length).sort());
    for (const list of byStream) expect(byPid).toContainEqual([...list].sort((a, b) => a - b));

    // Media time zero (the first PES) is epoch ms 1 000 000 − its PTS / 90; 1.5 s later is 135 000 ticks on.
    const first = Math.min(...probed.map((p) => p.pts));
    const firstWall = timeline.wallMsAt(first)!;
    expect(timeline.ptsAt(firstWall + 1500)).toBe(first + 135_000);
    expect(await timeline.reached(first + 135_000, 100)).toBe(true);
    expect(await timeline.reached(first + 90_000 * 60, 100)).toBe(false);

    const cut = first + 135_000;
    const given = join(scratch, 'given.ts');
    await writeFile(given, sink.bytes);
    const inSink = await probePts(given);
    const kept = join(scratch, 'cut.ts');
    await writeFile(kept, Buffer.concat(cutAfter(sink.chunks, cut, fanout.mediaPids)));
    const after = await probePts(kept);
    for (const i of [0, 1]) {
      const before = inSink.filter((p) => p.stream === i && p.pts <= cut).map((p) => p.pts);
      expect(after.filter((p) => p.stream === i).map((p) => p.pts)).toEqual(before);
      expect(before.length).toBeGreaterThan(10);
    }
    const { exit, stderr } = await runTool('ffmpeg', ['-v', 'error', '-i', kept, '-f', 'null', '-'], {
      allowFailure: true,
    });
    expect({ code: exit.code, stderr }).toEqual({ code: 0, stderr: [] });
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
