import { FileInfo } from '@livekit/protocol';
import { EgressError, describeError } from '#domain/errors.ts';
import { nowNanos } from '#domain/egress-record.ts';
import type { FileContainer } from '#domain/request/codecs.ts';
import type { AudioCodecName } from '#domain/request/encoding.ts';
import type { ObjectUpload, StoredObject } from '#ports/object-storage.ts';
import type { Logger } from '#shared/logger.ts';
import { ManagedProcess, describeExit } from '#shared/managed-process.ts';
import type { InfoPatch } from '../pipelines/pipeline.ts';
import { cutAfter, pesPtsOf, readPacketHeader, TS_PACKET_SIZE } from '../encoder/ts-packets.ts';
import type { TsTimeline } from '../encoder/ts-timeline.ts';
import type { EncodedSink, StreamEnd } from './encoded-sink.ts';

/** Muxer arguments per container. MP4 is fragmented every second, so a killed task leaves a playable file. */
const muxers: Readonly<Record<Exclude<FileContainer, 'webm'>, readonly string[]>> = {
  mp4: ['-f', 'mp4', '-movflags', '+empty_moov+default_base_moof', '-frag_duration', '1000000'],
  ogg: ['-f', 'ogg'],
  mp3: ['-f', 'mp3'],
};

/** Most bytes queued towards ffmpeg or storage before the file output is declared stuck. */
const maxQueuedBytes = 64 * 1024 * 1024;

/**
 * How long encoded media waits before it goes to the muxer: StopEgress reaches the task up to a control
 * poll (200 ms) and a store read late, and what was captured after the call must not land in the file. A
 * task killed outright loses this much more of its end.
 */
export const fileHoldMs = 1_500;

/** The encoded stream's media time, for a file cut at the stop and dated by its first sample. */
export interface FileMediaTime {
  readonly timeline: TsTimeline;
  /** PIDs of the stream's audio and video (a live set: filled once the PMT is seen). */
  readonly mediaPids: ReadonlySet<number>;
}

export interface FileSinkOptions {
  /** The resolved storage key (for `FileInfo.filename`). */
  readonly key: string;
  readonly container: Exclude<FileContainer, 'webm'>;
  /** The encoded audio codec, when there is audio. */
  readonly audioCodec: AudioCodecName | undefined;
  /** Where the bytes go as they are muxed (S3 multipart or a local file). */
  readonly upload: ObjectUpload;
  readonly logger: Logger;
  /** Media time of the stream; without it the file is neither held back nor cut, and dated on arrival. */
  readonly media?: FileMediaTime;
}

/**
 * The file output of a composite egress: remuxes the encoded stream (no re-encode) into MP4, OGG or MP3
 * and streams the result to storage while recording. `finish` waits for the muxer to close the file and
 * the upload to complete, and reports `file_results`.
 */
export class FileSink implements EncodedSink {
  readonly name = 'file';
  private readonly proc: ManagedProcess;
  private uploading: Promise<void> = Promise.resolve();
  private queued = 0;
  private failure: EgressError | undefined;
  private readonly listeners: ((err: EgressError) => void)[] = [];
  private finishing: Promise<InfoPatch> | undefined;
  private startedAt = 0n;
  /** Media not yet handed to the muxer, oldest first, with when it arrived (performance ms). */
  private readonly held: { readonly chunk: Buffer; readonly at: number }[] = [];
  private heldBytes = 0;
  private firstPts: number | undefined;

  constructor(private readonly options: FileSinkOptions) {
    const args = ['-hide_banner', '-nostats', '-loglevel', 'warning', '-f', 'mpegts', '-i', 'pipe:0'];
    args.push('-map', '0', '-c', 'copy', ...muxers[options.container]);
    // MPEG-TS carries AAC with ADTS headers; MP4 wants the raw frames and their config in the header.
    if (options.container === 'mp4' && options.audioCodec === 'aac') args.push('-bsf:a', 'aac_adtstoasc');
    args.push('pipe:1');
    this.proc = new ManagedProcess('ffmpeg', args, {
      name: 'ffmpeg file muxer',
      logger: options.logger,
      stdin: 'pipe',
      rawStdout: true,
      outputLevel: 'info',
    });
    this.proc.child.stdin?.on('error', (err) => this.fail(`file muxer input failed: ${describeError(err)}`, err));
    this.proc.child.stdout?.on('data', (chunk: Buffer) => this.store(chunk));
    void this.proc.exited.then((exit) => {
      if (this.finishing === undefined) this.fail(`file muxer exited early (${describeExit(exit)})`);
    });
  }

  write(chunk: Buffer): void {
    if (this.failure !== undefined || this.finishing !== undefined) return;
    if (this.startedAt === 0n) this.startedAt = nowNanos();
    const stdin = this.proc.child.stdin;
    if (stdin === null || stdin.destroyed) return;
    if (stdin.writableLength + this.queued + this.heldBytes > maxQueuedBytes) {
      this.fail('file output cannot keep up: storage or muxer stalled');
      return;
    }
    const media = this.options.media;
    if (media === undefined) {
      stdin.write(chunk);
      return;
    }
    this.firstPts ??= firstPtsOf(chunk, media.mediaPids);
    const now = performance.now();
    this.held.push({ chunk, at: now });
    this.heldBytes += chunk.length;
    for (let next = this.held[0]; next !== undefined && now - next.at >= fileHoldMs; next = this.held[0]) {
      this.held.shift();
      this.heldBytes -= next.chunk.length;
      stdin.write(next.chunk);
    }
  }

  /** Hands what is held to the muxer: up to the cut when there is one, else all of it. */
  private releaseHeld(cutPts: number | undefined): void {
    const media = this.options.media;
    const chunks = this.held.splice(0).map((h) => h.chunk);
    this.heldBytes = 0;
    const kept = media === undefined || cutPts === undefined ? chunks : cutAfter(chunks, cutPts, media.mediaPids);
    const stdin = this.proc.child.stdin;
    if (stdin === null || stdin.destroyed) return;
    for (const chunk of kept) stdin.write(chunk);
  }

  private store(chunk: Buffer): void {
    this.queued += chunk.length;
    this.uploading = this.uploading.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.options.upload.write(chunk);
      } catch (err) {
        this.fail(`upload failed: ${describeError(err)}`, err);
      } finally {
        this.queued -= chunk.length;
      }
    });
  }

  finish(end?: StreamEnd): Promise<InfoPatch> {
    this.finishing ??= this.complete(end?.cutPts);
    return this.finishing;
  }

  private async complete(cutPts: number | undefined): Promise<InfoPatch> {
    if (this.failure === undefined) this.releaseHeld(cutPts);
    // End of input: the muxer writes what it holds and exits by itself; a stuck one is killed.
    this.proc.child.stdin?.end();
    const timer = setTimeout(() => void this.proc.stop('SIGKILL'), 15_000);
    const exit = await this.proc.exited;
    clearTimeout(timer);
    await this.uploading;
    if (this.failure !== undefined) {
      await this.options.upload.abort().catch(() => undefined);
      throw this.failure;
    }
    if (exit.code !== 0) this.options.logger.warn('file muxer ended with an error', { exit: describeExit(exit) });
    let stored: StoredObject;
    try {
      stored = await this.options.upload.complete();
    } catch (err) {
      throw new EgressError('invalid_argument', `upload failed: ${describeError(err)}`, {
        cause: err,
        fault: 'destination',
      });
    }
    const endedAt = this.wallNanosAt(cutPts) ?? nowNanos();
    const startedAt = this.wallNanosAt(this.firstPts) ?? (this.startedAt === 0n ? endedAt : this.startedAt);
    this.options.logger.info('file finished', { key: stored.key, bytes: stored.size });
    this.stored = stored;
    return (info) => {
      info.fileResults = [
        new FileInfo({
          filename: stored.key,
          location: stored.location,
          size: BigInt(stored.size),
          startedAt,
          endedAt,
          duration: endedAt - startedAt,
        }),
      ];
    };
  }

  /** Epoch ns of the media at `pts`, when the stream's media time is known. */
  private wallNanosAt(pts: number | undefined): bigint | undefined {
    const ms = pts === undefined ? undefined : this.options.media?.timeline.wallMsAt(pts);
    return ms === undefined ? undefined : BigInt(Math.round(ms * 1e6));
  }

  /** The finished object, for the manifest. */
  stored: StoredObject | undefined;

  async abort(): Promise<void> {
    this.finishing ??= Promise.reject(new Error('aborted'));
    this.finishing.catch(() => undefined);
    await this.proc.stop('SIGKILL');
    await this.uploading;
  }

  onFailure(listener: (err: EgressError) => void): void {
    if (this.failure !== undefined) listener(this.failure);
    else this.listeners.push(listener);
  }

  private fail(message: string, cause?: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = new EgressError('unavailable', message, { cause, fault: 'destination' });
    this.options.logger.warn('file output failed', { error: message });
    for (const listener of this.listeners.splice(0)) listener(this.failure);
  }
}

/** The PTS of the first PES of an elementary stream in `chunk`, if one starts there. */
function firstPtsOf(chunk: Buffer, mediaPids: ReadonlySet<number>): number | undefined {
  for (let offset = 0; offset + TS_PACKET_SIZE <= chunk.length; offset += TS_PACKET_SIZE) {
    const header = readPacketHeader(chunk, offset);
    if (header === undefined || !mediaPids.has(header.pid)) continue;
    const pts = pesPtsOf(chunk, offset, header);
    if (pts !== undefined) return pts;
  }
  return undefined;
}
