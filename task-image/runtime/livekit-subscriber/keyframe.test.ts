import { describe, expect, test } from 'vitest';
import {
  h264NalTypes,
  isAv1KeyFrame,
  isH264KeyFrame,
  isVp8KeyFrame,
  isVp9KeyFrame,
  keyFrameDetector,
  vp8KeyFrameSize,
} from './keyframe.ts';

/** VP8 descriptor with X=1, S=1, PID=0, I=1 and a 15-bit picture id, then a frame tag. */
function vp8(frameTag: number[]): Uint8Array {
  return Uint8Array.from([0x90, 0x80, 0x81, 0x23, ...frameTag]);
}

describe('VP8', () => {
  const keyFrame = vp8([0x50, 0x2a, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01]);

  test('finds a key frame and its size behind an extended descriptor', () => {
    expect(isVp8KeyFrame(keyFrame)).toBe(true);
    expect(vp8KeyFrameSize(keyFrame)).toEqual({ width: 640, height: 360 });
  });

  test('rejects inter frames, continuation packets and empty payloads', () => {
    expect(isVp8KeyFrame(vp8([0x51, 0x2a, 0x00]))).toBe(false);
    const continuation = Uint8Array.from(keyFrame);
    continuation[0] = 0x80; // S=0
    expect(isVp8KeyFrame(continuation)).toBe(false);
    expect(isVp8KeyFrame(new Uint8Array())).toBe(false);
    expect(vp8KeyFrameSize(vp8([0x51]))).toBeUndefined();
  });

  test('reads a key frame behind the short descriptor', () => {
    expect(isVp8KeyFrame(Uint8Array.from([0x10, 0x50, 0x2a, 0x00]))).toBe(true);
  });
});

describe('H.264', () => {
  test('reads NAL types of single NAL, STAP-A and FU-A packets', () => {
    expect(h264NalTypes(Uint8Array.from([0x65, 0x88]))).toEqual([5]);
    const stapA = Uint8Array.from([0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce, 0x00, 0x02, 0x65, 0x88]);
    expect(h264NalTypes(stapA)).toEqual([7, 8, 5]);
    expect(h264NalTypes(Uint8Array.from([0x7c, 0x85, 0x00]))).toEqual([5]);
    expect(h264NalTypes(Uint8Array.from([0x7c, 0x05, 0x00]))).toEqual([]); // FU-A continuation
  });

  test('calls SPS and IDR key frames, not P slices', () => {
    expect(isH264KeyFrame(Uint8Array.from([0x67, 0x42]))).toBe(true);
    expect(isH264KeyFrame(Uint8Array.from([0x7c, 0x85, 0x00]))).toBe(true);
    expect(isH264KeyFrame(Uint8Array.from([0x41, 0x9a]))).toBe(false);
    expect(isH264KeyFrame(Uint8Array.from([0x7c, 0x81, 0x00]))).toBe(false);
  });
});

describe('VP9 and AV1', () => {
  test('VP9: start of a non-predicted frame of spatial layer 0 only', () => {
    expect(isVp9KeyFrame(Uint8Array.from([0x08]))).toBe(true); // B=1, P=0, no layer indices
    expect(isVp9KeyFrame(Uint8Array.from([0xc8, 0x01]))).toBe(false); // P=1
    expect(isVp9KeyFrame(Uint8Array.from([0xa8, 0x05, 0x00]))).toBe(true); // I, L, B; SID 0
    expect(isVp9KeyFrame(Uint8Array.from([0xa8, 0x05, 0x02]))).toBe(false); // SID 1
    expect(isVp9KeyFrame(Uint8Array.from([0x80, 0x05]))).toBe(false); // B=0
  });

  test('AV1: N bit of the aggregation header', () => {
    expect(isAv1KeyFrame(Uint8Array.from([0x18]))).toBe(true);
    expect(isAv1KeyFrame(Uint8Array.from([0x10]))).toBe(false);
  });

  test('has no detector for audio', () => {
    expect(keyFrameDetector('audio/opus')).toBeUndefined();
    expect(keyFrameDetector('video/H264')).toBe(isH264KeyFrame);
  });
});
