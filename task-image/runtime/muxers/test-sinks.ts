/**
 * Test support (not used by production code): byte sinks that keep what they get, and the end time of a
 * file's media as ffprobe reads it packet by packet (WebM written while recording has no duration field).
 */
import { open, writeFile, type FileHandle } from 'node:fs/promises';
import { runTool } from '#bench/tool-run.ts';
import type { ByteSink } from './byte-sink.ts';

/** A sink that keeps every chunk in memory; `failAfter` chunks, it rejects every write. */
export class MemorySink implements ByteSink {
  readonly chunks: Uint8Array[] = [];
  private accepted = 0;

  constructor(private readonly failAfter = Number.POSITIVE_INFINITY) {}

  async write(chunk: Uint8Array): Promise<void> {
    await Promise.resolve();
    if (this.accepted >= this.failAfter) throw new Error('disk full');
    this.accepted++;
    this.chunks.push(chunk);
  }

  /** Everything written, as one buffer. */
  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Writes everything to `path` (truncated to `length` bytes when given). */
  async save(path: string, length?: number): Promise<void> {
    const all = this.bytes();
    await writeFile(path, length === undefined ? all : all.subarray(0, length));
  }
}

/** A sink appending to a local file, one write per chunk, as a storage adapter would. */
export class FileSink implements ByteSink {
  private constructor(private readonly handle: FileHandle) {}

  static async create(path: string): Promise<FileSink> {
    return new FileSink(await open(path, 'w'));
  }

  async write(chunk: Uint8Array): Promise<void> {
    await this.handle.write(chunk);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** End of the last packet of the first stream, in seconds (its start when it has no duration). */
export async function mediaEndS(file: string): Promise<number> {
  const chunks: Buffer[] = [];
  const args = [
    '-v',
    'error',
    '-select_streams',
    '0',
    '-show_entries',
    'packet=pts_time,duration_time',
    '-of',
    'csv=p=0',
  ];
  await runTool('ffprobe', [...args, file], { onStdout: (c) => chunks.push(c) });
  let end = 0;
  for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
    const [pts = Number.NaN, duration = Number.NaN] = line.split(',').map(Number);
    if (Number.isFinite(pts)) end = Math.max(end, pts + (Number.isFinite(duration) ? duration : 0));
  }
  return end;
}
