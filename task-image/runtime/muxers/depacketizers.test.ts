import { describe, expect, test } from 'vitest';
import type { MediaFrame } from './container.ts';
import type { FrameEvents } from './frame-assembler.ts';
import { H264Depacketizer, stapANalUnits } from './h264-depacketizer.ts';
import { parseH264Sps } from './h264-sps.ts';
import { annexBUnits, encodeClip } from './test-clips.ts';
import { Vp8Depacketizer, parseVp8Descriptor, vp8FrameSize } from './vp8-depacketizer.ts';
import { Vp9Depacketizer, parseVp9Descriptor, vp9FrameSize, vp9Superframe } from './vp9-depacketizer.ts';

function events() {
  const frames: MediaFrame[] = [];
  const reasons: string[] = [];
  const sink: FrameEvents = { frame: (f) => frames.push(f), broken: (r) => reasons.push(r) };
  return { frames, reasons, sink };
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('VP8 (RFC 7741)', () => {
  test.each([
    { name: 'no extension', payload: [0x10, 0xaa], length: 1, pictureId: undefined },
    { name: '7-bit PictureID', payload: [0x90, 0x80, 0x12, 0xaa], length: 3, pictureId: 0x12 },
    { name: '15-bit PictureID', payload: [0x90, 0x80, 0x81, 0x23, 0xaa], length: 4, pictureId: 0x123 },
    {
      name: 'PictureID + TL0PICIDX + TID',
      payload: [0x90, 0xe0, 0x81, 0x23, 0x05, 0x40, 0xaa],
      length: 6,
      pictureId: 0x123,
    },
    { name: 'TID without TL0PICIDX', payload: [0x90, 0x20, 0x40, 0xaa], length: 3, pictureId: undefined },
    { name: 'KEYIDX only', payload: [0x90, 0x10, 0x01, 0xaa], length: 3, pictureId: undefined },
  ])('descriptor with $name', ({ payload, length, pictureId }) => {
    const descriptor = parseVp8Descriptor(Uint8Array.from(payload));
    expect(descriptor).toMatchObject({ headerLength: length, pictureId, startsFrame: true });
  });

  test('rejects a descriptor longer than the payload', () => {
    expect(parseVp8Descriptor(bytes(0x90, 0x80, 0x81))).toBeUndefined();
  });

  test('joins a frame from its packets by timestamp and marker, without descriptors', () => {
    const { frames, reasons, sink } = events();
    const d = new Vp8Depacketizer(sink);
    d.push(bytes(0x90, 0x80, 0x01, 0x00, 0x01), 3000, false); // S=1: frame tag P=0 → key frame
    d.push(new Uint8Array(0), 3000, false); // padding
    d.push(bytes(0x80, 0x80, 0x01, 0x02, 0x03), 3000, true);
    d.push(bytes(0x90, 0x80, 0x02, 0x01), 6000, true); // P=1: delta frame in one packet
    expect(frames).toEqual([
      { time: 3000, data: bytes(0x00, 0x01, 0x02, 0x03), keyFrame: true },
      { time: 6000, data: bytes(0x01), keyFrame: false },
    ]);
    expect(reasons).toEqual([]);
  });

  test('fails a frame whose first packet is missing, once, and resumes at the next frame', () => {
    const { frames, reasons, sink } = events();
    const d = new Vp8Depacketizer(sink);
    d.push(bytes(0x80, 0x80, 0x01, 0x02), 3000, false);
    d.push(bytes(0x80, 0x80, 0x01, 0x03), 3000, true);
    d.push(bytes(0x90, 0x80, 0x02, 0x01), 6000, true);
    expect(reasons).toEqual(['a frame without its first packet']);
    expect(frames.map((f) => f.time)).toEqual([6000]);
  });

  test('fails a frame cut by a loss, and one whose marker never came', () => {
    const { frames, reasons, sink } = events();
    const d = new Vp8Depacketizer(sink);
    d.push(bytes(0x90, 0x80, 0x01, 0x00), 3000, false);
    d.loss();
    d.push(bytes(0x90, 0x80, 0x02, 0x01), 6000, false);
    d.push(bytes(0x90, 0x80, 0x03, 0x01), 9000, true); // new timestamp: the 6000 frame never ended
    expect(reasons).toEqual(['packets lost', 'an incomplete frame']);
    expect(frames.map((f) => f.time)).toEqual([9000]);
  });

  test('reads the size of a real key frame', async () => {
    const [first] = await encodeClip('vp8', 0.2);
    expect(vp8FrameSize(first!.data)).toEqual({ width: 320, height: 180 });
  });
});

describe('VP9 (RFC 9628)', () => {
  test('descriptor in flexible mode with P_DIFFs, and with a scalability structure', () => {
    // I, P, F, B, E; 15-bit PictureID; two P_DIFF bytes (N=1 then N=0).
    expect(parseVp9Descriptor(bytes(0xdc, 0x81, 0x23, 0x03, 0x04, 0xaa))).toMatchObject({
      headerLength: 5,
      interPicture: true,
      beginsLayerFrame: true,
      endsLayerFrame: true,
    });
    // I, B, V; SS: N_S=0, Y=1, G=1, one picture group entry with one reference.
    const ss = [0x18, 0x01, 0x40, 0x00, 0xb4, 0x01, 0x04, 0x01];
    expect(parseVp9Descriptor(bytes(0x8a, 0x12, ...ss, 0xaa))).toMatchObject({ headerLength: 10 });
    // Non-flexible with layer indices: TID/U/SID/D and TL0PICIDX.
    expect(parseVp9Descriptor(bytes(0xa8, 0x12, 0x22, 0x07, 0xaa))).toMatchObject({ headerLength: 4, spatialId: 1 });
  });

  test('packs two spatial layers of a picture into a superframe', () => {
    const { frames, sink } = events();
    const d = new Vp9Depacketizer(sink);
    d.push(bytes(0xa8 | 0x04, 0x12, 0x00, 0x07, 0x01, 0x02), 9000, false); // SID 0, B+E
    d.push(bytes(0xa8, 0x12, 0x02, 0x07, 0x03), 9000, false); // SID 1, B
    d.push(bytes(0xa4, 0x12, 0x02, 0x07, 0x04), 9000, true); // SID 1, E
    expect(frames).toHaveLength(1);
    expect(frames[0]?.keyFrame).toBe(true);
    // Frames, then the index: marker 0b11000001 (1-byte sizes, 2 frames), sizes 2 and 2, marker again.
    expect(frames[0]?.data).toEqual(bytes(0x01, 0x02, 0x03, 0x04, 0xc1, 0x02, 0x02, 0xc1));
    expect(vp9Superframe([bytes(1), new Uint8Array(300)]).at(-1)).toBe(0xc9);
  });

  test('a picture whose last layer ended is whole even without the marker', () => {
    const { frames, reasons, sink } = events();
    const d = new Vp9Depacketizer(sink);
    d.push(bytes(0x8c, 0x12, 0x01), 9000, false);
    d.push(bytes(0xcc, 0x13, 0x02, 0x01), 12000, false);
    d.flush();
    expect(frames.map((f) => [f.time, f.keyFrame])).toEqual([
      [9000, true],
      [12000, false],
    ]);
    expect(reasons).toEqual([]);
  });

  test('reads the size of a real key frame', async () => {
    const [first] = await encodeClip('vp9', 0.2);
    expect(vp9FrameSize(first!.data)).toEqual({ width: 320, height: 180 });
  });
});

describe('H.264 (RFC 6184, packetization mode 1)', () => {
  const sps = bytes(0x67, 0x42, 0xc0, 0x1e);
  const pps = bytes(0x68, 0xce, 0x3c, 0x80);

  test('joins STAP-A, FU-A and single NAL unit packets into an AVCC access unit', () => {
    const { frames, reasons, sink } = events();
    const d = new H264Depacketizer(sink);
    d.push(bytes(0x78, 0x00, 0x04, ...sps, 0x00, 0x04, ...pps), 3000, false);
    d.push(bytes(0x7c, 0x85, 0xaa, 0xbb), 3000, false); // FU-A start of an IDR slice (NRI 3)
    d.push(bytes(0x7c, 0x45, 0xcc), 3000, true); // FU-A end
    d.push(bytes(0x41, 0x9a, 0x01), 6000, true); // a non-IDR slice in one packet
    expect(reasons).toEqual([]);
    expect(frames[0]).toEqual({
      time: 3000,
      keyFrame: true,
      data: bytes(0, 0, 0, 4, ...sps, 0, 0, 0, 4, ...pps, 0, 0, 0, 4, 0x65, 0xaa, 0xbb, 0xcc),
    });
    expect(frames[1]).toEqual({ time: 6000, keyFrame: false, data: bytes(0, 0, 0, 3, 0x41, 0x9a, 0x01) });
    expect(d.parameterSets).toEqual({ sps, pps });
  });

  test('fails an access unit whose FU-A start is missing', () => {
    const { frames, reasons, sink } = events();
    const d = new H264Depacketizer(sink);
    d.push(bytes(0x7c, 0x05, 0xaa), 3000, false);
    d.push(bytes(0x7c, 0x45, 0xbb), 3000, true);
    expect(reasons).toEqual(['a frame without its first packet']);
    expect(frames).toEqual([]);
    expect(stapANalUnits(bytes(0x78, 0x00, 0x09, 0x67))).toBeUndefined();
  });

  test('reads profile, level and the cropped size from a real SPS', async () => {
    const clip = await encodeClip('h264', 0.2);
    const first = clip[0] as (typeof clip)[0] & { units: Uint8Array[] };
    const spsUnit = first.units.find((u) => ((u[0] ?? 0) & 0x1f) === 7);
    expect(parseH264Sps(spsUnit!)).toMatchObject({ profileIdc: 66, width: 320, height: 180, chromaFormatIdc: 1 });
    expect(parseH264Sps(bytes(0x67, 0x42))).toBeUndefined();
    expect(annexBUnits(bytes(0, 0, 0, 1, 0x67, 0, 0, 1, 0x68))).toEqual([bytes(0x67), bytes(0x68)]);
  });
});
