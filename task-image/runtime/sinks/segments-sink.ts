import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SegmentsInfo } from '@livekit/protocol';
import { EgressError, describeError, toEgressError } from '#domain/errors.ts';
import { nowNanos } from '#domain/egress-record.ts';
import { cleanPath } from '#domain/request/filename.ts';
import { segmentFilename, type SegmentNames } from '#domain/request/output-names.ts';
import type { SegmentsOutputPlan } from '#domain/request/plan-types.ts';
import type { Logger } from '#shared/logger.ts';
import { describeExit, type ManagedProcess, type ProcessExit } from '#shared/managed-process.ts';
import type { ObjectStorage, StoredObject } from '#ports/object-storage.ts';
import type { InfoPatch } from '../pipelines/pipeline.ts';
import type { EncodedSink } from './encoded-sink.ts';
import { playlistUploadDue, renderEventPlaylist, renderLivePlaylist, type PlaylistSegment } from './hls-playlist.ts';
import { parseSegmentListLine, readClosedSegment, startSegmenter, type ClosedSegment } from './segments-sink-ffmpeg.ts';

/** What a {@link SegmentsSink} needs. */
export interface SegmentsSinkOptions {
  readonly plan: SegmentsOutputPlan;
  readonly storage: ObjectStorage;
  /** From `resolveSegmentNames`. */
  readonly names: SegmentNames;
  readonly egressId: string;
  readonly roomName: string;
  readonly logger: Logger;
  /** An existing directory; the sink makes its private temp dir inside it and removes it at the end. */
  readonly workDir: string;
}

/** A segment uploaded and listed in the playlists. */
interface UploadedSegment extends PlaylistSegment {
  readonly key: string;
  readonly location: string;
  readonly size: number;
}

/** Bytes ffmpeg's stdin may hold before the sink fails instead of growing. */
const maxStdinBacklog = 16 * 1024 * 1024;
/** Closed segments waiting for upload before the sink fails (LiveKit `max_upload_queue`: 60 min). */
const maxUploadBacklogSec = 3_600;
/** LiveKit's EOS timeout: a segmenter that has not ended by then is frozen. */
const exitTimeoutMs = 30_000;
/** How long the last uploads may take once ffmpeg has ended. */
const drainTimeoutMs = 120_000;

/**
 * The HLS output of a composite egress: an ffmpeg cuts the encoder's MPEG-TS into segments (no re-encode)
 * in a private temp dir; each closed segment is uploaded, deleted locally and added to the playlists, which
 * are re-uploaded after it. A task killed at any point leaves every closed segment and a playlist listing
 * them (without `#EXT-X-ENDLIST`). `PROGRAM-DATE-TIME` is the wall clock of the first byte received plus
 * the segment's start in the stream, so it cannot drift from the media.
 */
export class SegmentsSink implements EncodedSink {
  readonly name: string;
  private readonly dir: string;
  private readonly proc: ManagedProcess;
  private readonly log: Logger;
  private readonly listDone: Promise<void>;
  private readonly segments: UploadedSegment[] = [];
  private readonly listeners: ((err: EgressError) => void)[] = [];
  private readonly createdAtMs = Date.now();
  private firstByteAtMs: number | undefined;
  private announced = 0;
  private queued = 0;
  private uploads: Promise<void> = Promise.resolve();
  private failure: EgressError | undefined;
  private finishing: Promise<InfoPatch> | undefined;
  private aborting: Promise<void> | undefined;
  private cleaning: Promise<void> | undefined;
  private readonly lastStderr: () => string;
  private playlistLocation = '';
  private livePlaylistLocation = '';
  private playlistUploadedCount = 0;
  private playlistUploadedAtMs = 0;

  constructor(private readonly options: SegmentsSinkOptions) {
    this.name = `segments ${options.names.playlistPath}`;
    this.log = options.logger.child({ sink: 'segments', playlist: options.names.playlistPath });
    this.dir = mkdtempSync(join(options.workDir, 'segments-'));
    const segmenter = startSegmenter(this.dir, options.plan.segmentDurationSec, this.log, (line) =>
      this.onListLine(line),
    );
    this.proc = segmenter.proc;
    this.listDone = segmenter.listDone;
    this.lastStderr = segmenter.lastStderr;
    void this.proc.exited.then((exit) => this.onExit(exit));
  }

  /** Feeds MPEG-TS to the segmenter; fails the sink when ffmpeg falls more than 16 MB behind. */
  write(chunk: Buffer): void {
    if (this.failure !== undefined || this.finishing !== undefined || this.aborting !== undefined) return;
    const stdin = this.proc.child.stdin;
    if (stdin === null || !stdin.writable) return;
    this.firstByteAtMs ??= Date.now();
    if (stdin.writableLength + chunk.length > maxStdinBacklog) {
      this.fail(
        new EgressError('resource_exhausted', 'segments output: ffmpeg is not keeping up', { fault: 'capacity' }),
      );
      return;
    }
    stdin.write(chunk);
  }

  finish(): Promise<InfoPatch> {
    this.finishing ??= this.runFinish();
    return this.finishing;
  }

  abort(): Promise<void> {
    this.aborting ??= this.cleanup();
    return this.aborting;
  }

  onFailure(listener: (err: EgressError) => void): void {
    this.listeners.push(listener);
  }

  /** The playlist and its segments, for the egress manifest (`playlists[]`). */
  manifestEntry(): { location: string; segments: { filename: string; location: string }[] } {
    return {
      location: this.playlistLocation,
      segments: this.segments.map((s) => ({ filename: s.key, location: s.location })),
    };
  }

  private onListLine(line: string): void {
    const closed = parseSegmentListLine(line);
    if (closed === undefined) {
      this.log.warn('unexpected line in the segment list', { line });
      return;
    }
    if (this.failure !== undefined || this.aborting !== undefined) return;
    const index = this.announced++;
    if (this.queued * this.options.plan.segmentDurationSec >= maxUploadBacklogSec) {
      this.fail(new EgressError('resource_exhausted', 'upload queue full', { fault: 'destination' }));
      return;
    }
    this.queued++;
    // One upload at a time, in order: a playlist never lists a segment that is not stored yet.
    this.uploads = this.uploads
      .then(() => this.uploadSegment(index, closed))
      .catch((err: unknown) => this.fail(toEgressError(err, `segments output failed: ${describeError(err)}`)))
      .finally(() => this.queued--);
  }

  private async uploadSegment(index: number, closed: ClosedSegment): Promise<void> {
    if (this.failure !== undefined || this.aborting !== undefined) return;
    const local = join(this.dir, closed.filename);
    const bytes = await readClosedSegment(local);
    const programDateTime = new Date((this.firstByteAtMs ?? this.createdAtMs) + closed.startSec * 1000);
    const uri = segmentFilename(this.options.names.segmentPrefix, this.options.plan.suffix, index, programDateTime);
    const key = cleanPath(`${this.options.names.storageDir}${uri}`);
    const stored = await this.put(key, bytes, 'video/MP2T');
    await rm(local, { force: true });
    // An abort during the upload: the segment is stored, but the playlists are no longer touched.
    if (this.aborting !== undefined) return;
    const durationSec = closed.endSec - closed.startSec;
    this.segments.push({ uri, durationSec, programDateTime, key, location: stored.location, size: stored.size });
    this.log.debug('segment uploaded', { key, bytes: stored.size, durationSec });
    await this.uploadPlaylists(false);
  }

  /** The live playlist after every segment; the main one by LiveKit's rule, and always when closing. */
  private async uploadPlaylists(closed: boolean): Promise<void> {
    const { names, plan } = this.options;
    const render = { closed, segmentDurationSec: plan.segmentDurationSec };
    const now = Date.now();
    const due = playlistUploadDue({
      segmentCount: this.segments.length,
      uploadedCount: this.playlistUploadedCount,
      elapsedMs: now - (this.firstByteAtMs ?? this.createdAtMs),
      sinceUploadMs: now - this.playlistUploadedAtMs,
    });
    if (closed || due) {
      const stored = await this.put(names.playlistPath, renderEventPlaylist(this.segments, render), playlistType);
      this.playlistLocation = stored.location;
      this.playlistUploadedCount = this.segments.length;
      this.playlistUploadedAtMs = now;
    }
    if (names.livePlaylistPath !== undefined) {
      const live = renderLivePlaylist(this.segments, render);
      this.livePlaylistLocation = (await this.put(names.livePlaylistPath, live, playlistType)).location;
    }
  }

  private async put(key: string, body: Uint8Array | string, contentType: string): Promise<StoredObject> {
    const metadata = { 'egress-id': this.options.egressId, room: this.options.roomName };
    try {
      return await this.options.storage.putObject(key, body, { contentType, metadata });
    } catch (err) {
      throw new EgressError('invalid_argument', `upload failed: ${describeError(err)}`, {
        cause: err,
        fault: 'destination',
      });
    }
  }

  private async runFinish(): Promise<InfoPatch> {
    try {
      this.throwIfFailed();
      this.proc.child.stdin?.end();
      const exit = await withTimeout(this.proc.exited, exitTimeoutMs);
      if (exit === undefined) throw new EgressError('internal', 'pipeline frozen: ffmpeg segments did not end in 30 s');
      // With no input at all ffmpeg exits with an error; that is an empty recording, not a failure.
      if (exit.code !== 0 && this.firstByteAtMs !== undefined) throw this.exitError(exit);
      await withTimeout(this.listDone, 5_000);
      const drained = await withTimeout(
        this.uploads.then(() => true),
        drainTimeoutMs,
      );
      // An upload may have failed while this method waited.
      this.throwIfFailed();
      if (drained === undefined) throw new EgressError('internal', 'segment uploads did not finish in 120 s');
      await this.uploadPlaylists(true);
      this.log.info('segments finished', { segments: this.segments.length, playlist: this.playlistLocation });
      return this.resultPatch();
    } finally {
      await this.cleanup();
    }
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private resultPatch(): InfoPatch {
    const startedMs = this.firstByteAtMs ?? this.createdAtMs;
    const durationSec = this.segments.reduce((sum, s) => sum + s.durationSec, 0);
    const result = new SegmentsInfo({
      playlistName: this.options.names.playlistPath,
      livePlaylistName: this.options.names.livePlaylistPath ?? '',
      duration: BigInt(Math.round(durationSec * 1e9)),
      size: BigInt(this.segments.reduce((sum, s) => sum + s.size, 0)),
      playlistLocation: this.playlistLocation,
      livePlaylistLocation: this.livePlaylistLocation,
      segmentCount: BigInt(this.segments.length),
      startedAt: nowNanos(startedMs),
      endedAt: nowNanos(),
    });
    // At most one segments output per egress: this entry is the whole list.
    return (info) => {
      info.segmentResults = [result];
    };
  }

  private onExit(exit: ProcessExit): void {
    if (this.finishing !== undefined || this.aborting !== undefined || this.failure !== undefined) return;
    this.fail(this.exitError(exit));
  }

  private exitError(exit: ProcessExit): EgressError {
    const stderr = this.lastStderr();
    const detail = stderr === '' ? '' : `: ${stderr}`;
    return new EgressError('internal', `ffmpeg segments failed (${describeExit(exit)})${detail}`);
  }

  /** Records the first failure; listeners hear of it only while running (finish rejects with it). */
  private fail(err: EgressError): void {
    if (this.failure !== undefined || this.aborting !== undefined) return;
    this.failure = err;
    this.log.warn('segments output failed', { error: err.message, fault: err.fault });
    if (this.finishing === undefined) {
      for (const listener of this.listeners.splice(0)) listener(err);
      void this.cleanup();
    }
  }

  /** Stops ffmpeg and removes the temp dir. Runs once whichever of finish, abort or a failure comes first. */
  private cleanup(): Promise<void> {
    this.cleaning ??= (async () => {
      await this.proc.stop('SIGKILL', 2_000);
      await rm(this.dir, { recursive: true, force: true }).catch((err: unknown) =>
        this.log.warn('could not remove the segments temp dir', { dir: this.dir, error: describeError(err) }),
      );
    })();
    return this.cleaning;
  }
}

const playlistType = 'application/x-mpegurl';

/** `promise`'s value, or undefined when it takes longer than `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
