import { expect, test } from 'vitest';
import { parseSegmentListLine, segmenterArgs } from './segments-sink-ffmpeg.ts';

test('parses the CSV lines ffmpeg prints as segments close', () => {
  expect(parseSegmentListLine('seg_00000.ts,0.000000,2.021333')).toEqual({
    filename: 'seg_00000.ts',
    startSec: 0,
    endSec: 2.021333,
  });
  expect(parseSegmentListLine('"a,""b"".ts",4.5,6.5\r')).toEqual({ filename: 'a,"b".ts', startSec: 4.5, endSec: 6.5 });
});

test('rejects lines that are not segment entries', () => {
  for (const line of ['', 'seg_00000.ts', 'seg.ts,x,2', ',0,2', 'seg.ts,3,2']) {
    expect(parseSegmentListLine(line), line).toBeUndefined();
  }
});

test('copies the streams into segments of the configured duration, listing them on stdout', () => {
  const args = segmenterArgs(4).join(' ');
  expect(args).toContain('-c copy -f segment -segment_format mpegts -segment_time 4');
  expect(args).toContain('-segment_list pipe:1 -segment_list_type csv');
  expect(args).not.toContain('libx264');
});
