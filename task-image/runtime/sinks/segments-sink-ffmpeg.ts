import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '#shared/logger.ts';
import { ManagedProcess } from '#shared/managed-process.ts';

/**
 * The ffmpeg half of the segments sink: the segmenter's command line, its segment list, and reading a
 * closed segment back.
 */

/** ffmpeg's name for the segments in the private temp dir; uploads are renamed by the naming rules. */
export const localSegmentPattern = 'seg_%05d.ts';

/**
 * Arguments of an ffmpeg that reads MPEG-TS on stdin and cuts it, without re-encoding, into MPEG-TS
 * segments of `segmentDurationSec`, printing one CSV line `name,start,end` on stdout as each segment
 * closes (`-segment_list pipe:1 -segment_list_type csv`; start and end in seconds of the stream, which
 * ffmpeg starts at 0 from the earliest packet).
 *
 * Cuts land on video keyframes: the encoder forces one at every boundary, and the segment muxer cuts at
 * the first keyframe at or after each multiple of the duration. `segment_time_delta` (half a frame at
 * 10 fps) keeps a keyframe stamped a hair before the boundary from being missed, which would double that
 * segment. An analysis window of 1 s (default 5 s) lets the first segment close about 1 s after its end,
 * which is what a crash can lose beyond the open segment.
 */
export function segmenterArgs(segmentDurationSec: number): string[] {
  return [
    ['-hide_banner', '-nostats', '-loglevel', 'warning'],
    ['-analyzeduration', '1000000', '-probesize', '1000000', '-f', 'mpegts', '-i', 'pipe:0'],
    ['-map', '0:v?', '-map', '0:a?', '-c', 'copy'],
    ['-f', 'segment', '-segment_format', 'mpegts', '-segment_time', String(segmentDurationSec)],
    ['-segment_time_delta', '0.05', '-segment_list', 'pipe:1', '-segment_list_type', 'csv'],
    [localSegmentPattern],
  ].flat();
}

/** A closed segment as ffmpeg's CSV list reports it. */
export interface ClosedSegment {
  /** File name inside the temp dir. */
  readonly filename: string;
  /** Seconds from the start of the stream. */
  readonly startSec: number;
  readonly endSec: number;
}

/**
 * Parses one line of the CSV segment list. The name is everything before the last two fields (ffmpeg
 * quotes it only when it holds a comma or quote, which {@link localSegmentPattern} never does, but the
 * quotes are removed anyway). Returns undefined for a line that is not an entry.
 */
export function parseSegmentListLine(line: string): ClosedSegment | undefined {
  const fields = line.trim().split(',');
  if (fields.length < 3) return undefined;
  const endSec = Number(fields.pop());
  const startSec = Number(fields.pop());
  let filename = fields.join(',');
  if (filename.startsWith('"') && filename.endsWith('"')) filename = filename.slice(1, -1).replaceAll('""', '"');
  if (filename === '' || !Number.isFinite(startSec) || !Number.isFinite(endSec) || endSec < startSec) return undefined;
  return { filename, startSec, endSec };
}

/**
 * Reads a segment ffmpeg has announced. The segment muxer prints the list entry after writing the
 * segment's trailer (so its bytes are in the file) but before closing it; a length that is not whole
 * 188-byte TS packets would mean the tail is still in ffmpeg's buffer, so the read is retried briefly.
 */
export async function readClosedSegment(path: string, attempts = 10, delayMs = 20): Promise<Buffer> {
  let bytes = await readFile(path);
  for (let attempt = 1; attempt < attempts && bytes.length % 188 !== 0; attempt++) {
    await sleep(delayMs);
    bytes = await readFile(path);
  }
  return bytes;
}

/** A running segmenter. */
export interface Segmenter {
  /** Stop it with `proc.stop()` on every path; feed it through `proc.child.stdin`. */
  readonly proc: ManagedProcess;
  /** Resolves once the segment list on stdout has ended: every closed segment has been reported. */
  readonly listDone: Promise<void>;
  /** ffmpeg's last stderr line, for the error when it fails. */
  readonly lastStderr: () => string;
}

/**
 * Starts the segmenter in `dir` (its cwd, where the segments appear); `onLine` gets each line of the
 * segment list as the segment closes.
 */
export function startSegmenter(
  dir: string,
  segmentDurationSec: number,
  logger: Logger,
  onLine: (line: string) => void,
): Segmenter {
  const proc = new ManagedProcess('ffmpeg', segmenterArgs(segmentDurationSec), {
    name: 'ffmpeg segments',
    logger,
    cwd: dir,
    stdin: 'pipe',
    rawStdout: true,
  });
  // A write after ffmpeg died raises EPIPE here; whoever watches `exited` reports the failure.
  proc.child.stdin?.on('error', (err) => logger.debug('segmenter stdin closed', { error: err.message }));
  let last = '';
  proc.child.stderr?.on('data', (chunk: Buffer) => {
    const line = chunk.toString('utf8').trim().split('\n').pop();
    if (line !== undefined && line !== '') last = line;
  });
  const stdout = proc.child.stdout;
  const listDone =
    stdout === null
      ? Promise.resolve()
      : new Promise<void>((resolve) => {
          createInterface({ input: stdout }).on('line', onLine).once('close', resolve);
        });
  return { proc, listDone, lastStderr: () => last };
}
