import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EgressInfo } from '@livekit/protocol';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FolderStorage } from '#adapters/local/folder-storage.ts';
import type { EgressError } from '#domain/errors.ts';
import { formatUtc } from '#domain/request/filename.ts';
import { resolveSegmentNames } from '#domain/request/output-names.ts';
import type { SegmentsOutputPlan } from '#domain/request/plan-types.ts';
import { createLogger } from '#shared/logger.ts';
import type { ObjectStorage } from '#ports/object-storage.ts';
import { startEncodedTestStream, type EncodedTestStreamOptions } from '#bench/encoded-test-stream.ts';
import { decodeErrors, probe } from '#bench/media-check.ts';
import { SegmentsSink } from './segments-sink.ts';

const logger = createLogger({ component: 'segments-sink-test' });
let root: string;
let outDir: string;
let workDir: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ue-segments-'));
  outDir = join(root, 'out');
  workDir = join(root, 'work');
  await mkdir(workDir);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function plan(overrides: Partial<SegmentsOutputPlan> = {}): SegmentsOutputPlan {
  return {
    protocol: 'hls',
    filenamePrefix: 'hls/rec',
    playlistName: 'hls/rec.m3u8',
    livePlaylistName: 'hls/rec-live.m3u8',
    segmentDurationSec: 2,
    suffix: 'index',
    disableManifest: false,
    ...overrides,
  };
}

function createSink(p: SegmentsOutputPlan, storage: ObjectStorage = new FolderStorage(outDir)): SegmentsSink {
  const names = resolveSegmentNames(p, 'room', { time: new Date(), roomName: 'room' });
  return new SegmentsSink({ plan: p, storage, names, egressId: 'EG_test', roomName: 'room', logger, workDir });
}

async function record(
  sink: SegmentsSink,
  options: EncodedTestStreamOptions,
  beforeFinish: () => Promise<void> = () => Promise.resolve(),
): Promise<EgressInfo> {
  const stream = startEncodedTestStream(options, (chunk) => sink.write(chunk));
  try {
    await stream.done;
  } finally {
    await stream.stop();
  }
  await beforeFinish();
  const info = new EgressInfo();
  (await sink.finish())(info);
  return info;
}

interface Entry {
  readonly programDateTime: number;
  readonly durationSec: number;
  readonly uri: string;
}

/** Parses a LiveKit m3u8: header tags and the PDT/EXTINF/URI triplets, in order. */
function parsePlaylist(text: string): { tags: string[]; entries: Entry[] } {
  const lines = text.trimEnd().split('\n');
  const tags: string[] = [];
  const entries: Entry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (!line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) {
      tags.push(line);
      continue;
    }
    const extinf = /^#EXTINF:(\d+\.\d{3}),$/.exec(lines[i + 1] ?? '');
    const uri = lines[i + 2] ?? '';
    expect(extinf, `EXTINF after line ${i}`).not.toBeNull();
    expect(uri).toMatch(/\.ts$/);
    entries.push({ programDateTime: Date.parse(line.slice(25)), durationSec: Number(extinf?.[1]), uri });
    i += 2;
  }
  return { tags, entries };
}

/** Every listed segment decodes cleanly as H.264 640x360 + AAC and carries the egress metadata; total bytes. */
async function checkSegmentFiles(entries: readonly Entry[]): Promise<number> {
  let size = 0;
  for (const entry of entries) {
    const file = join(outDir, 'hls', entry.uri);
    size += (await stat(file)).size;
    expect(await decodeErrors(file), entry.uri).toEqual([]);
    const media = await probe(file, { countFrames: false });
    expect([media.video?.codec, media.video?.width, media.video?.height, media.audio?.codec]).toEqual([
      'h264',
      640,
      360,
      'aac',
    ]);
    const meta = JSON.parse(await readFile(`${file}.metadata.json`, 'utf8')) as unknown;
    expect(meta).toEqual({ contentType: 'video/MP2T', metadata: { 'egress-id': 'EG_test', room: 'room' } });
  }
  return size;
}

describe('SegmentsSink', () => {
  test('cuts a live stream into playable segments with LiveKit playlists and SegmentsInfo', async () => {
    const startedAt = Date.now();
    const sink = createSink(plan());
    // What a task killed now would leave: every closed segment, listed in an open playlist.
    let beforeEnd = { tags: [] as string[], entries: [] as Entry[] };
    const info = await record(sink, { seconds: 13, keyFrameIntervalSec: 2 }, async () => {
      beforeEnd = parsePlaylist(await readFile(join(outDir, 'hls/rec.m3u8'), 'utf8'));
    });
    expect(beforeEnd.tags).not.toContain('#EXT-X-ENDLIST');
    expect(beforeEnd.entries.length).toBeGreaterThanOrEqual(5);

    const [result, ...others] = info.segmentResults;
    expect(others).toEqual([]);
    if (result === undefined) throw new Error('no SegmentsInfo');
    const main = parsePlaylist(await readFile(join(outDir, 'hls/rec.m3u8'), 'utf8'));
    const longest = Math.max(...main.entries.map((e) => e.durationSec));
    expect(main.tags.slice(0, 6)).toEqual([
      '#EXTM3U',
      '#EXT-X-VERSION:4',
      '#EXT-X-PLAYLIST-TYPE:EVENT',
      '#EXT-X-ALLOW-CACHE:NO',
      `#EXT-X-TARGETDURATION:${Math.max(2, Math.ceil(longest - 1e-6))}`,
      '#EXT-X-MEDIA-SEQUENCE:0',
    ]);
    expect(main.tags.at(-1)).toBe('#EXT-X-ENDLIST');
    const count = main.entries.length;
    expect(Math.abs(count - Math.ceil(13 / 2))).toBeLessThanOrEqual(1);
    expect(main.entries.map((e) => e.uri)).toEqual(
      Array.from({ length: count }, (_, i) => `rec_${String(i).padStart(5, '0')}.ts`),
    );

    const total = main.entries.reduce((sum, e) => sum + e.durationSec, 0);
    expect(total).toBeGreaterThan(12.5);
    expect(total).toBeLessThan(13.5);
    for (const [i, entry] of main.entries.entries()) {
      expect(Math.abs(entry.programDateTime - startedAt)).toBeLessThan(120_000);
      const next = main.entries[i + 1];
      if (next !== undefined) {
        // Consecutive PROGRAM-DATE-TIMEs are EXTINF apart (±1 ms of rounding each).
        expect(Math.abs(next.programDateTime - entry.programDateTime - entry.durationSec * 1000)).toBeLessThanOrEqual(
          2,
        );
      }
    }

    const size = await checkSegmentFiles(main.entries);

    const live = parsePlaylist(await readFile(join(outDir, 'hls/rec-live.m3u8'), 'utf8'));
    expect(live.tags).not.toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(live.tags).toContain(`#EXT-X-MEDIA-SEQUENCE:${count - 5}`);
    expect(live.entries).toEqual(main.entries.slice(-5));

    expect(result.playlistName).toBe('hls/rec.m3u8');
    expect(result.livePlaylistName).toBe('hls/rec-live.m3u8');
    expect(result.playlistLocation).toBe(join(outDir, 'hls/rec.m3u8'));
    expect(result.livePlaylistLocation).toBe(join(outDir, 'hls/rec-live.m3u8'));
    expect(result.segmentCount).toBe(BigInt(count));
    expect(result.size).toBe(BigInt(size));
    expect(Math.abs(Number(result.duration) / 1e9 - total)).toBeLessThan(0.01);
    expect(result.startedAt).toBeGreaterThan(0n);
    expect(result.endedAt).toBeGreaterThanOrEqual(result.startedAt);
    const named = [result.playlistName, result.livePlaylistName, result.playlistLocation, result.livePlaylistLocation];
    for (const value of named) expect(value).not.toContain('{');
    expect(sink.manifestEntry().segments.map((s) => s.filename)).toEqual(main.entries.map((e) => `hls/${e.uri}`));
    // Segments were deleted locally as they were uploaded, and the temp dir is gone.
    expect(await readdir(workDir)).toEqual([]);
  }, 60_000);

  test('names segments by their PROGRAM-DATE-TIME with the TIMESTAMP suffix', async () => {
    const info = await record(createSink(plan({ suffix: 'timestamp', livePlaylistName: '' })), {
      seconds: 6,
      realtime: false,
    });
    const { entries } = parsePlaylist(await readFile(join(outDir, 'hls/rec.m3u8'), 'utf8'));
    expect(entries.length).toBeGreaterThanOrEqual(2);
    for (const entry of entries) {
      expect(entry.uri).toBe(`rec_${formatUtc(new Date(entry.programDateTime))}.ts`);
      expect((await stat(join(outDir, 'hls', entry.uri))).size).toBeGreaterThan(0);
    }
    expect(info.segmentResults[0]?.livePlaylistName).toBe('');
    expect(info.segmentResults[0]?.segmentCount).toBe(BigInt(entries.length));
  }, 60_000);

  test('fails with a destination error when storage rejects an upload', async () => {
    const broken: ObjectStorage = {
      putObject: () => Promise.reject(new Error('bucket is gone')),
      openUpload: () => Promise.reject(new Error('bucket is gone')),
    };
    const sink = createSink(plan(), broken);
    const failed = new Promise<EgressError>((resolve) => sink.onFailure(resolve));
    const stream = startEncodedTestStream({ seconds: 6, realtime: false }, (chunk) => sink.write(chunk));
    const err = await failed;
    await stream.stop();
    expect(err.fault).toBe('destination');
    expect(err.message).toBe('upload failed: bucket is gone');
    await expect(sink.finish()).rejects.toBe(err);
    expect(await readdir(workDir)).toEqual([]);
  }, 60_000);

  test('abort stops the segmenter and removes its temp dir without writing playlists', async () => {
    const sink = createSink(plan());
    // Shorter than one segment: nothing closes, so nothing is uploaded before the abort.
    const stream = startEncodedTestStream({ seconds: 1.5, realtime: false }, (chunk) => sink.write(chunk));
    await stream.done;
    await sink.abort();
    await sink.abort();
    expect(await readdir(workDir)).toEqual([]);
    await expect(stat(join(outDir, 'hls/rec.m3u8'))).rejects.toThrow(/ENOENT/);
  }, 60_000);
});
