import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EgressStatus, EncodedFileOutput, ImageOutput, SegmentedFileOutput, type EgressInfo } from '@livekit/protocol';
import type { EgressClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinctFramesPerSecond } from '#bench/distinct-frames.ts';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture, waitForStatus, type LocalFixture } from '#bench/local-fixture.ts';
import {
  avSync,
  cadence,
  decodeErrors,
  frameNumbers,
  freezes,
  mediaDuration,
  probe,
  volume,
} from '#bench/media-check.ts';
import type { AvSyncReport, Region } from '#bench/media-check.ts';
import { percentile } from '#bench/signal-analysis.ts';
import { startSyntheticPublisher, type SyntheticPublisher } from '#bench/synthetic-publisher.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const room = 'composite';
const recordSeconds = 30;
/** Where a publisher's picture sits in the grid of two (left or right tile, letterboxed 16:9). */
const gridTiles: readonly Region[] = [
  { x: 0.005, y: 0.254, width: 0.49, height: 0.49 },
  { x: 0.503, y: 0.254, width: 0.49, height: 0.49 },
];

/** The speaker layout's main tile (the strip of others is on the right). */
const speakerMain: Region = { x: 0.006, y: 0.118, width: 0.764, height: 0.764 };

/** The A/V report of the tile that shows the beeping publisher: the one whose flashes pair with the beeps. */
async function syncOfAudibleTile(file: string): Promise<AvSyncReport> {
  const reports = await Promise.all(gridTiles.map((region) => avSync(file, { region })));
  return reports.reduce((best, r) => (r.pairs.length > best.pairs.length && r.p95AbsMs <= best.p95AbsMs ? r : best));
}

describe('room composite egress (real LiveKit, Chromium, ffmpeg)', () => {
  let livekit: LiveKitServer;
  let local: LocalFixture;
  let client: EgressClient;
  const publishers: SyntheticPublisher[] = [];

  beforeAll(async () => {
    livekit = await startLiveKitServer();
    local = await startLocalFixture(livekit);
    client = local.client;
    const join = { url: livekit.url, apiKey: livekit.apiKey, apiSecret: livekit.apiSecret, room };
    // Alice beeps and flashes (the A/V reference); Bob adds a second moving tile without sound. Small
    // pictures: the publishers share this machine's two cores with the recorder they are recorded by (the
    // bench measures the recorder with camera-sized publishers).
    const video = { codec: 'vp8', width: 320, height: 180, bitrateKbps: 500 } as const;
    publishers.push(await startSyntheticPublisher({ ...join, identity: 'alice', audio: true, video }));
    publishers.push(await startSyntheticPublisher({ ...join, identity: 'bob', video }));
  });

  afterAll(async () => {
    await Promise.all(publishers.map((p) => p.stop()));
    await local?.stop();
    await livekit?.stop();
  });

  it('records grid to MP4 + HLS + thumbnails from one encode: 720p30, wall-clock, in sync, frames painted', async () => {
    const started = Date.now();
    const info = await client.startRoomCompositeEgress(
      room,
      {
        file: new EncodedFileOutput({ filepath: 'rc/grid' }),
        segments: new SegmentedFileOutput({
          filenamePrefix: 'rc/hls/grid',
          livePlaylistName: 'live',
          segmentDuration: 4,
        }),
        images: new ImageOutput({ captureInterval: 5, width: 640, height: 360, filenamePrefix: 'rc/thumbs/grid' }),
      },
      { layout: 'grid' },
    );
    expect(info.status).toBe(EgressStatus.EGRESS_STARTING);
    const active = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_ACTIVE, 15_000);
    const activeAt = Number(active.updatedAt / 1_000_000n);
    expect(activeAt - started).toBeLessThan(10_000);
    await sleep(recordSeconds * 1000);
    const stopping = await client.stopEgress(info.egressId);
    expect(stopping.status).toBe(EgressStatus.EGRESS_ENDING);
    const wallS = (Number(stopping.updatedAt / 1_000_000n) - activeAt) / 1000;
    const done: EgressInfo = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_COMPLETE, 30_000);

    // The file.
    expect(done.fileResults[0]?.filename).toBe('rc/grid.mp4');
    const file = join(local.outputDir, 'rc/grid.mp4');
    const probed = await probe(file);
    expect(probed.video).toMatchObject({ codec: 'h264', profile: 'Main', width: 1280, height: 720 });
    expect(probed.video?.avgFps).toBeGreaterThan(29);
    expect(probed.audio).toMatchObject({ codec: 'aac', sampleRate: 44100, channels: 2 });
    expect(Math.abs((await mediaDuration(file)) - wallS)).toBeLessThanOrEqual(0.5);
    expect(await decodeErrors(file)).toEqual([]);
    expect((await volume(file)).silent).toBe(false);
    expect(await freezes(file, { minDurationS: 0.5 })).toEqual([]);
    // Chromium painted what the capture claims: most frames differ from the one before (the bench measures
    // distinct frames per second against its target; here the publishers share the two cores).
    const distinct = await distinctFramesPerSecond(file);
    expect(distinct.fps).toBeGreaterThanOrEqual(20);
    const sync = await syncOfAudibleTile(file);
    const offsets = `A/V offsets (ms, + = audio late): ${sync.pairs.map((p) => `${p.flash.toFixed(1)}:${Math.round(p.offsetMs)}`).join(' ')}`;
    const audioSkips = publishers[0]?.stats().audio?.skips ?? [];
    console.log(JSON.stringify({ grid: { wallS, pairs: sync.pairs.map((p) => Math.round(p.offsetMs)), audioSkips } }));
    expect(sync.pairs.length, `${offsets}; ${sync.flashes} flashes, ${sync.beeps} beeps`).toBeGreaterThanOrEqual(
      recordSeconds - 3,
    );
    // Every receiver holds media for the same time (the template's playout delay). The video buffer fills
    // over about the first second (audio early meanwhile); from then on the offset sits at a run's constant
    // (capture phases of Chromium's paint and x11grab) with the odd excursion (one buffer stalling on this
    // 2-core machine). Asserted: once settled, median ≤ 40 ms and p95 ≤ 120 ms; over the whole file
    // LiveKit's own bound (p80 ≤ 300 ms). The project's target (p95 ≤ 40 ms over the whole file, in every
    // run) is not met yet.
    const settled = sync.pairs.filter((p) => p.flash >= 5).map((p) => Math.abs(p.offsetMs));
    expect(percentile(settled, 50), offsets).toBeLessThanOrEqual(40);
    expect(percentile(settled, 95), offsets).toBeLessThanOrEqual(120);
    expect(
      percentile(
        sync.pairs.map((p) => Math.abs(p.offsetMs)),
        80,
      ),
      offsets,
    ).toBeLessThanOrEqual(300);
    const frames = await Promise.all(gridTiles.map((region) => cadence(file, { region, fps: 30 })));
    for (const tile of frames) expect(tile.p95DriftMs).toBeLessThanOrEqual(40);

    // The HLS output, cut from the same encode.
    const segments = done.segmentResults[0];
    expect(segments?.playlistName).toBe('rc/hls/grid.m3u8');
    const playlist = await readFile(join(local.outputDir, 'rc/hls/grid.m3u8'), 'utf8');
    expect(playlist).toContain('#EXT-X-PLAYLIST-TYPE:EVENT');
    expect(playlist.trimEnd().endsWith('#EXT-X-ENDLIST')).toBe(true);
    const entries = playlist.split('\n').filter((l) => l.endsWith('.ts'));
    expect(Math.abs(entries.length - Math.ceil(wallS / 4))).toBeLessThanOrEqual(1);
    expect(Number(segments?.segmentCount)).toBe(entries.length);
    for (const entry of entries) {
      const segment = join(local.outputDir, 'rc/hls', entry);
      expect(await decodeErrors(segment)).toEqual([]);
      expect((await probe(segment)).video?.codec).toBe('h264');
    }
    const live = await readFile(join(local.outputDir, 'rc/hls/live.m3u8'), 'utf8');
    expect(live.split('\n').filter((l) => l.endsWith('.ts'))).toEqual(entries.slice(-5));

    // The thumbnails.
    const images = done.imageResults[0];
    const thumbs = (await readdir(join(local.outputDir, 'rc/thumbs'))).filter((f) => f.endsWith('.jpeg'));
    expect(Math.abs(thumbs.length - wallS / 5)).toBeLessThanOrEqual(1.5);
    expect(Number(images?.imageCount)).toBe(thumbs.length);
    for (const thumb of thumbs) {
      expect((await probe(join(local.outputDir, 'rc/thumbs', thumb))).video).toMatchObject({
        codec: 'mjpeg',
        width: 640,
        height: 360,
      });
    }
    const manifest = JSON.parse(await readFile(join(local.outputDir, 'rc', `${info.egressId}.json`), 'utf8')) as {
      files: unknown[];
      playlists: unknown[];
      images: unknown[];
    };
    expect(manifest.files).toHaveLength(1);
    expect(manifest.playlists).toHaveLength(1);
    expect(manifest.images).toHaveLength(thumbs.length);
  }, 240_000);

  it('switches grid → speaker on UpdateLayout (the recorder participant metadata), visibly', async () => {
    const info = await client.startRoomCompositeEgress(room, new EncodedFileOutput({ filepath: 'rc/switch' }), {
      layout: 'grid',
    });
    const active = await waitForStatus(client, info.egressId, EgressStatus.EGRESS_ACTIVE, 15_000);
    await sleep(6_000);
    const switchAtS = (Date.now() - Number(active.updatedAt / 1_000_000n)) / 1000;
    await client.updateLayout(info.egressId, 'speaker');
    await sleep(6_000);
    await client.stopEgress(info.egressId);
    await waitForStatus(client, info.egressId, EgressStatus.EGRESS_COMPLETE, 30_000);
    const file = join(local.outputDir, 'rc/switch.mp4');
    // A publisher's frame code is readable only where its whole picture fills the region: a grid tile
    // before the switch, the speaker view's main tile after it.
    const readable = async (region: Region, from: number, to: number): Promise<number> => {
      const { frames } = await frameNumbers(file, { region });
      const window = frames.filter((f) => f.pts >= from && f.pts < to);
      return window.filter((f) => f.number !== null).length / Math.max(1, window.length);
    };
    const before = [0.5, switchAtS - 0.5] as const;
    const after = [switchAtS + 2, switchAtS + 5] as const;
    const gridRight = gridTiles[1] as Region;
    expect(await readable(gridRight, ...before)).toBeGreaterThan(0.8);
    expect(await readable(gridRight, ...after)).toBeLessThan(0.1);
    expect(await readable(speakerMain, ...before)).toBeLessThan(0.1);
    expect(await readable(speakerMain, ...after)).toBeGreaterThan(0.8);
  }, 120_000);
});
