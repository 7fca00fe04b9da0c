import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EgressInfo, ImagesInfo } from '@livekit/protocol';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { FolderStorage } from '#adapters/local/folder-storage.ts';
import type { EgressError } from '#domain/errors.ts';
import { formatUtc } from '#domain/request/filename.ts';
import { resolveImageNames, type ImageSuffix } from '#domain/request/output-names.ts';
import { createLogger } from '#shared/logger.ts';
import { ManagedProcess } from '#shared/managed-process.ts';
import type { ObjectStorage, StoredObject } from '#ports/object-storage.ts';
import { probe } from '#bench/media-check.ts';
import { ImagesSink } from './images-sink.ts';
import { JpegSplitter } from './jpeg-splitter.ts';

const logger = createLogger({ component: 'images-sink-test' });
const captureStart = Date.UTC(2025, 4, 6, 7, 8, 9, 10);
let outDir: string;

beforeEach(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'ue-images-'));
});
afterEach(async () => {
  await rm(outDir, { recursive: true, force: true });
});

function createSink(suffix: ImageSuffix, storage: ObjectStorage = new FolderStorage(outDir)): ImagesSink {
  const plan = {
    captureIntervalSec: 0.5,
    width: 320,
    height: 180,
    filenamePrefix: 'thumbs/shot',
    suffix,
    codec: 'jpeg',
    disableManifest: false,
  } as const;
  const names = resolveImageNames(plan.filenamePrefix, 'room', { time: new Date(), roomName: 'room' });
  return new ImagesSink({ plan, storage, names, egressId: 'EG_test', roomName: 'room', logger });
}

/** 2 fps for 5 s of 320x180 JPEGs from ffmpeg's image2pipe, split into images; capture times 0.5 s apart. */
async function captureJpegs(): Promise<Buffer[]> {
  const args = ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=2'];
  args.push('-t', '5', '-c:v', 'mjpeg', '-f', 'image2pipe', 'pipe:1');
  const proc = new ManagedProcess('ffmpeg', args, { name: 'ffmpeg jpeg test', logger, rawStdout: true });
  const splitter = new JpegSplitter();
  const images: Buffer[] = [];
  const stdout = proc.child.stdout;
  if (stdout === null) throw new Error('ffmpeg has no stdout');
  stdout.on('data', (chunk: Buffer) => images.push(...splitter.push(chunk)));
  // 'exit' can come before the last bytes are read; 'close' comes after them.
  const drained = new Promise((resolve) => stdout.once('close', resolve));
  try {
    const exit = await proc.exited;
    expect(exit.code).toBe(0);
    await drained;
  } finally {
    await proc.stop();
  }
  expect(splitter.bufferedBytes).toBe(0);
  return images;
}

async function run(sink: ImagesSink, images: readonly Buffer[]): Promise<ImagesInfo> {
  for (const [i, jpeg] of images.entries()) sink.push(jpeg, new Date(captureStart + i * 500));
  const info = new EgressInfo({ imageResults: [new ImagesInfo({ filenamePrefix: 'other', imageCount: 3n })] });
  (await sink.finish())(info);
  expect(info.imageResults.map((r) => r.filenamePrefix)).toEqual(['other', 'shot']);
  const result = info.imageResults[1];
  if (result === undefined) throw new Error('no ImagesInfo');
  return result;
}

describe('ImagesSink', () => {
  test('uploads each JPEG from ffmpeg as {prefix}_{%05d}.jpeg from index 0', async () => {
    const images = await captureJpegs();
    expect(images).toHaveLength(10);
    const sink = createSink('index');
    const result = await run(sink, images);

    expect(result.imageCount).toBe(10n);
    expect(result.startedAt).toBe(BigInt(captureStart) * 1_000_000n);
    expect(result.endedAt).toBeGreaterThan(result.startedAt);
    const names = Array.from({ length: 10 }, (_, i) => `shot_${String(i).padStart(5, '0')}.jpeg`);
    const files = (await readdir(join(outDir, 'thumbs'))).filter((f) => f.endsWith('.jpeg'));
    expect(files.sort()).toEqual(names);
    for (const name of names) {
      const media = await probe(join(outDir, 'thumbs', name), { countFrames: false });
      expect([media.video?.codec, media.video?.width, media.video?.height]).toEqual(['mjpeg', 320, 180]);
    }
    const entries = sink.manifestEntries();
    expect(entries.map((e) => e.filename)).toEqual(names.map((n) => `thumbs/${n}`));
    expect(entries[1]).toEqual({
      filename: 'thumbs/shot_00001.jpeg',
      timestamp: new Date(captureStart + 500).toISOString(),
      location: join(outDir, 'thumbs/shot_00001.jpeg'),
    });
  }, 60_000);

  test('names images by capture time with TIMESTAMP, and overwrites one file with NONE_OVERWRITE', async () => {
    const images = await captureJpegs();
    const stamped = await run(createSink('timestamp'), images);
    expect(stamped.imageCount).toBe(10n);
    const expected = images.map((_, i) => `shot_${formatUtc(new Date(captureStart + i * 500))}.jpeg`);
    const files = (await readdir(join(outDir, 'thumbs'))).filter((f) => f.endsWith('.jpeg'));
    expect(files.sort()).toEqual(expected.sort());

    await rm(join(outDir, 'thumbs'), { recursive: true });
    const overwrite = createSink('none_overwrite');
    expect((await run(overwrite, images)).imageCount).toBe(10n);
    expect((await readdir(join(outDir, 'thumbs'))).filter((f) => f.endsWith('.jpeg'))).toEqual(['shot.jpeg']);
    expect(overwrite.manifestEntries()).toHaveLength(10);
  }, 60_000);

  test('drops images beyond the queue bound while storage is behind, keeping indexes contiguous', async () => {
    const folder = new FolderStorage(outDir);
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: ObjectStorage = {
      putObject: async (key, body, options): Promise<StoredObject> => {
        await gate;
        return folder.putObject(key, body, options);
      },
      openUpload: (key, options) => folder.openUpload(key, options),
    };
    const sink = createSink('index', slow);
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
    for (let i = 0; i < 100; i++) sink.push(jpeg, new Date(captureStart + i));
    release();
    const info = new EgressInfo();
    (await sink.finish())(info);
    // One upload in flight plus a queue of 60.
    expect(info.imageResults[0]?.imageCount).toBe(61n);
    expect(sink.manifestEntries().at(-1)?.filename).toBe('thumbs/shot_00060.jpeg');
  });

  test('fails with a destination error when storage rejects an upload', async () => {
    const broken: ObjectStorage = {
      putObject: () => Promise.reject(new Error('access denied')),
      openUpload: () => Promise.reject(new Error('access denied')),
    };
    const sink = createSink('index', broken);
    const failed = new Promise<EgressError>((resolve) => sink.onFailure(resolve));
    sink.push(Buffer.from([0xff, 0xd8, 0xff, 0xd9]), new Date());
    const err = await failed;
    expect(err.fault).toBe('destination');
    expect(err.message).toBe('image upload failed: access denied');
    sink.push(Buffer.from([0xff, 0xd8, 0xff, 0xd9]), new Date());
    await expect(sink.finish()).rejects.toBe(err);
  });
});
