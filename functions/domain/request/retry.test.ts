import { describe, expect, it } from 'vitest';
import { resolvePlan } from './plan.ts';
import { errorOf, fileOutput, roomComposite, segmentsOutput } from './request-fixtures.ts';
import { assertRetrySafe } from './retry.ts';

const withFile = (filepath: string) => resolvePlan(roomComposite({ fileOutputs: [fileOutput({ filepath })] }));
const withSegments = (filenamePrefix: string, playlistName: string) =>
  resolvePlan(roomComposite({ fileOutputs: [], segmentOutputs: [segmentsOutput({ filenamePrefix, playlistName })] }));

describe('assertRetrySafe', () => {
  it('accepts anything on the first attempt', () => {
    expect(() => assertRetrySafe(withFile('recordings/my-file.mp4'), 0)).not.toThrow();
  });

  it('accepts generated names and {retry} on a retry', () => {
    for (const path of ['', 'recordings/', 'recordings/my-file-{retry}.mp4', 'recordings/{retry}/my-file.mp4']) {
      expect(() => assertRetrySafe(withFile(path), 2)).not.toThrow();
    }
    expect(() => assertRetrySafe(withSegments('', ''), 1)).not.toThrow();
    expect(() => assertRetrySafe(withSegments('s/seg-{retry}', 's/index'), 1)).not.toThrow();
    expect(() => assertRetrySafe(withSegments('', 's/index-{retry}'), 1)).not.toThrow();
  });

  it('rejects an explicit file path without {retry} on a retry', () => {
    const error = errorOf(() => assertRetrySafe(withFile('recordings/my-file.mp4'), 1));
    expect({ code: error.code, message: error.message }).toEqual({
      code: 'failed_precondition',
      message: 'output configuration does not support retry',
    });
  });

  it('rejects explicit segment names without {retry} on a retry', () => {
    expect(errorOf(() => assertRetrySafe(withSegments('s/seg', 's/index-{retry}'), 1)).code).toBe(
      'failed_precondition',
    );
    expect(errorOf(() => assertRetrySafe(withSegments('', 's/index'), 1)).code).toBe('failed_precondition');
  });
});
