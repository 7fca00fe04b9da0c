import { FileInfo, TrackSource, TrackType } from '@livekit/protocol';
import { AbortedBeforeStartError, EgressError, describeError, toEgressError } from '#domain/errors.ts';
import { nowNanos } from '#domain/egress-record.ts';
import { trackFileContainer } from '#domain/request/codecs.ts';
import { resolveFilepath } from '#domain/request/filename.ts';
import type { FileOutputPlan } from '#domain/request/plan.ts';
import type { ObjectUpload } from '#ports/object-storage.ts';
import { LiveKitSubscriber, type RemoteTrack, type SubscribedTrack } from '../livekit-subscriber/index.ts';
import { createTrackRecorder, type RecordingStats } from '../muxers/track-recorder.ts';
import { buildManifest } from '../outputs/manifest.ts';
import type { StorageResolver } from '../outputs/storage-resolver.ts';
import { icePolicyFor } from '../sources/ice-policy-for.ts';
import {
  StoppablePipeline,
  trackWaitMs,
  type EndReason,
  type InfoPatch,
  type PipelineContext,
  type PipelineEnd,
} from './pipeline.ts';

/**
 * How long frames wait before they are written: more than a stop takes to reach the task (the session's
 * 200 ms control poll and a store read, and a busy moment of the machine: one CI run noticed a stop 0.78 s
 * late), so the file ends at the time StopEgress was called. A task killed mid-recording loses it too.
 */
const stopHoldMs = 1000;

/**
 * Track egress to a file with no transcoding: the raw-RTP subscriber hands packets to the container writer
 * (Opus → Ogg, VP8/VP9 → WebM, H.264 → fragmented MP4), whose bytes stream to storage while recording. Ends
 * when the track is unpublished, its publisher leaves, the room is closed, or on stop; the manifest is
 * written last. An interrupted room connection is resumed by the subscriber and the file continues (the
 * outage is a gap in time); when it cannot be got back, the file is finalised and the egress FAILS.
 */
export class TrackFilePipeline extends StoppablePipeline {
  private roomId = '';

  constructor(
    private readonly ctx: PipelineContext,
    private readonly trackId: string,
    private readonly file: FileOutputPlan,
    private readonly storage: StorageResolver,
  ) {
    super();
  }

  async run(): Promise<PipelineEnd> {
    const log = this.ctx.logger;
    let subscriber: LiveKitSubscriber;
    try {
      subscriber = await LiveKitSubscriber.connect({
        url: this.ctx.livekitUrl,
        token: this.ctx.token,
        logger: log,
        signal: this.stopping.signal,
        icePolicy: icePolicyFor(this.ctx.livekitUrl),
        reconnectWindowMs: this.ctx.reconnectWindowMs,
      });
    } catch (err) {
      if (this.stopping.signal.aborted) throw new AbortedBeforeStartError();
      throw new EgressError('unavailable', `connection to room failed: ${describeError(err)}`, { cause: err });
    }
    try {
      let track: SubscribedTrack;
      try {
        track = await subscriber.subscribe(this.trackId, { trackTimeoutMs: trackWaitMs, signal: this.stopping.signal });
      } catch (err) {
        if (this.stopping.signal.aborted) throw new AbortedBeforeStartError();
        throw err;
      }
      return await this.record(subscriber, track);
    } finally {
      await subscriber.close();
    }
  }

  private async record(subscriber: LiveKitSubscriber, track: SubscribedTrack): Promise<PipelineEnd> {
    const info = track.info;
    this.roomId = subscriber.room.sid;
    const key = resolveFilepath(this.file.filepath, {
      identifier: this.ctx.plan.fileIdentifier,
      container: trackFileContainer(track.codec.mimeType),
      context: {
        time: new Date(),
        roomName: this.ctx.plan.roomName,
        roomId: subscriber.room.sid,
        trackId: info.sid,
        trackType: kindName(info),
        trackSource: sourceName(info),
        publisherIdentity: info.participant.identity,
      },
    });
    const storage = this.storage(this.file.storage);
    const upload = await storage.openUpload(key, {
      contentType: contentTypeOf(key),
      metadata: {
        ...(this.file.storage?.metadata ?? {}),
        'egress-id': this.ctx.egressId,
        room: this.ctx.plan.roomName,
      },
      ...(this.file.storage === undefined
        ? {}
        : { tagging: this.file.storage.tagging, contentDisposition: this.file.storage.contentDisposition }),
    });
    const startedAt = { ns: 0n };
    let failure: EgressError | undefined;
    let lost: EgressError | undefined;
    const recorder = createTrackRecorder({
      codec: track.codec,
      sink: upload,
      logger: this.ctx.logger,
      requestKeyFrame: () => track.requestKeyFrame(),
      stopHoldMs,
      onFirstWrite: (at) => {
        startedAt.ns = nowNanos(at);
        // As of the first frame: the file's zero, which the stop cut is measured from.
        this.ctx.onActive(fileResult(key, '', 0, startedAt.ns, 0n, 0n), at);
      },
      onError: (err) => {
        failure = err;
        this.stopping.abort();
      },
    });
    // Media flows until the recorder is finished: a cut at the stop time waits for the media up to it.
    const media = [
      track.onRtp((packet) => recorder.pushRtp(packet)),
      track.onSenderReport((report) => recorder.pushSenderReport(report)),
    ];
    const unsubscribe = [
      track.onEnded((reason) => {
        this.ctx.logger.info('track ended', { reason });
        if (reason === 'connection-lost') {
          lost = new EgressError('unavailable', subscriber.error?.message ?? 'lost the connection to the room');
          this.stopping.abort();
        } else this.stop('Source closed');
      }),
      subscriber.on('reconnecting', (cause) => this.ctx.logger.warn('room connection interrupted', { cause })),
      subscriber.on('reconnected', () => {
        this.ctx.logger.info('room connection restored');
        track.requestKeyFrame();
      }),
    ];
    if (!this.stopping.signal.aborted) {
      await new Promise<void>((resolve) =>
        this.stopping.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
    }
    for (const off of unsubscribe) off();
    const reason = this.stopReason ?? 'Source closed';
    if (reason !== 'Aborted' && failure === undefined && lost === undefined) this.ctx.onEnding(reason);
    let end: PipelineEnd;
    try {
      end = await this.finish({ key, upload, recorder, startedAt: startedAt.ns, reason, track: info, failure });
    } finally {
      for (const off of media) off();
    }
    return lost === undefined ? end : { ...end, failure: lost };
  }

  private async finish(r: {
    key: string;
    upload: ObjectUpload;
    recorder: ReturnType<typeof createTrackRecorder>;
    startedAt: bigint;
    reason: EndReason;
    track: RemoteTrack;
    failure: EgressError | undefined;
  }): Promise<PipelineEnd> {
    let stats: RecordingStats;
    try {
      // Cut at the user's stop time only for StopEgress: other ends (source closed, SIGTERM) keep all.
      const cutAtMs = r.reason === 'StopEgress API' ? this.stopAtMs : undefined;
      const lateMs = cutAtMs === undefined ? 0 : Date.now() - cutAtMs;
      // What came after the stop is already in the file: the stop took longer than the hold to get here.
      if (lateMs > stopHoldMs) this.ctx.logger.warn('the stop came later than the file holds back', { lateMs });
      stats = await r.recorder.finish({ cutAtMs });
    } catch (err) {
      await r.upload.abort().catch(() => undefined);
      throw toEgressError(r.failure ?? err, 'recording failed');
    }
    let stored;
    try {
      stored = await r.upload.complete(stats.headerPatch);
    } catch (err) {
      throw new EgressError('invalid_argument', `upload failed: ${describeError(err)}`, {
        cause: err,
        fault: 'destination',
      });
    }
    const endedAt = nowNanos();
    const started = r.startedAt === 0n ? endedAt : r.startedAt;
    const duration = BigInt(Math.round(stats.durationMs)) * 1_000_000n;
    const patch = fileResult(stored.key, stored.location, stored.size, started, endedAt, duration);
    this.ctx.logger.info('file finished', {
      key: stored.key,
      bytes: stored.size,
      durationMs: stats.durationMs,
      gaps: stats.gaps,
      lostPackets: stats.lostPackets,
    });
    if (this.file.disableManifest) return { reason: r.reason, patch };
    const manifestLocation = await this.writeManifest(stored.key, stored.location, r.track, started);
    return {
      reason: r.reason,
      patch: (info) => {
        patch(info);
        info.manifestLocation = manifestLocation;
      },
    };
  }

  private async writeManifest(key: string, location: string, track: RemoteTrack, startedAt: bigint): Promise<string> {
    const dir = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
    const manifestKey = `${dir}${this.ctx.egressId}.json`;
    const body = buildManifest(
      {
        egressId: this.ctx.egressId,
        roomId: this.roomId,
        roomName: this.ctx.plan.roomName,
        startedAt,
        endedAt: nowNanos(),
      },
      [{ filename: key, location }],
      {
        publisherIdentity: track.participant.identity,
        trackId: track.sid,
        trackKind: kindName(track),
        trackSource: sourceName(track),
      },
    );
    const stored = await this.storage(this.file.storage).putObject(manifestKey, body, {
      contentType: 'application/json',
      metadata: { 'egress-id': this.ctx.egressId },
    });
    return stored.location;
  }
}

function fileResult(
  filename: string,
  location: string,
  size: number,
  startedAt: bigint,
  endedAt: bigint,
  duration: bigint,
): InfoPatch {
  return (info) => {
    const file = new FileInfo({ filename, location, size: BigInt(size), startedAt, endedAt, duration });
    info.fileResults = [file];
  };
}

function kindName(track: RemoteTrack): string {
  return TrackType[track.info.type] ?? track.kind;
}

function sourceName(track: RemoteTrack): string {
  return TrackSource[track.info.source] ?? track.source;
}

function contentTypeOf(key: string): string {
  if (key.endsWith('.ogg')) return 'audio/ogg';
  if (key.endsWith('.webm')) return 'video/webm';
  return 'video/mp4';
}
