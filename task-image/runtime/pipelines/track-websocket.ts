import { AudioStream, RoomEvent, type AudioFrame } from '@livekit/rtc-node';
import { StreamInfo, StreamInfo_Status } from '@livekit/protocol';
import { EgressError, describeError } from '#domain/errors.ts';
import { nowNanos } from '#domain/egress-record.ts';
import type { StreamUrl } from '#domain/request/stream-url.ts';
import { isAudio, RtcRoom, type FoundTrack } from '../sources/rtc-room.ts';
import { WebSocketSink } from '../sinks/websocket-sink.ts';
import { PcmGapFiller, pcmChannels, pcmSampleRate } from './pcm-gap-filler.ts';
import { StoppablePipeline, trackWaitMs, type InfoPatch, type PipelineContext, type PipelineEnd } from './pipeline.ts';

/**
 * Track egress to a WebSocket: one audio track, decoded by rtc-node to PCM 48 kHz stereo and sent as binary
 * frames, with `{"muted":…}` text frames. Ends when the track is unpublished, its publisher leaves, the room
 * closes, or on stop; fails when the receiver fails.
 */
export class TrackWebSocketPipeline extends StoppablePipeline {
  constructor(
    private readonly ctx: PipelineContext,
    private readonly trackId: string,
    private readonly target: StreamUrl,
  ) {
    super();
  }

  async run(): Promise<PipelineEnd> {
    const log = this.ctx.logger;
    const room = await RtcRoom.connect(this.ctx.livekitUrl, this.ctx.token, log, this.ctx.reconnectWindowMs);
    let sink: WebSocketSink | undefined;
    try {
      const found = await room.waitForTrack(this.trackId, trackWaitMs, this.stopping.signal);
      if (!isAudio(found)) {
        throw new EgressError(
          'invalid_argument',
          `format websocket incompatible with codec ${found.publication.mimeType ?? 'video'}`,
        );
      }
      sink = await WebSocketSink.open(this.target.url, log);
      return await this.stream(room, found, sink);
    } finally {
      await sink?.close();
      await room.close();
    }
  }

  private async stream(room: RtcRoom, found: FoundTrack, sink: WebSocketSink): Promise<PipelineEnd> {
    const filler = new PcmGapFiller((samples) => sink.writePcm(samples));
    const startedAt = { ns: 0n };
    const onMute = mutedListener(found, sink);
    room.room.on(RoomEvent.TrackMuted, onMute.muted).on(RoomEvent.TrackUnmuted, onMute.unmuted);
    if (found.publication.muted === true) sink.sendMuted(true);
    let failure: EgressError | undefined;
    sink.onFailure((err) => {
      failure = err;
      this.stopping.abort();
    });
    const pumps: Promise<void>[] = [];
    let reader: ReadableStreamDefaultReader<AudioFrame> | undefined;
    // One subscription at a time: the first, and after a reconnect the track found again. The gap filler
    // writes silence in between, so the stream stays as long as the time that passed.
    const follow = async (current: FoundTrack): Promise<void> => {
      const track = await room.subscribe(current);
      await reader?.cancel().catch(() => undefined);
      if (this.stopping.signal.aborted) return;
      const next = new AudioStream(track, { sampleRate: pcmSampleRate, numChannels: pcmChannels }).getReader();
      reader = next;
      pumps.push(this.pump(next, filler, startedAt));
    };
    const resubscribe = (again: FoundTrack): void => {
      this.ctx.logger.info('track back after reconnect: subscribing again', { track: again.publication.sid });
      follow(again).catch((err: unknown) =>
        room.lose(`could not subscribe again after reconnecting: ${describeError(err)}`),
      );
    };
    const ended = Promise.race([
      room.watchEnd(found, this.stopping.signal, resubscribe).then((end) => {
        if (end === 'connection lost') {
          failure ??= room.lost ?? new EgressError('unavailable', 'lost the connection to the room');
          this.stopping.abort();
        } else this.stop('Source closed');
      }),
      this.stopped(),
    ]);
    await follow(found);
    await ended;
    if (this.stopReason !== 'Aborted' && failure === undefined) this.ctx.onEnding(this.stopReason ?? 'Source closed');
    filler.stop();
    await reader?.cancel().catch(() => undefined);
    await Promise.all(pumps.map((p) => p.catch(() => undefined)));
    room.room.off(RoomEvent.TrackMuted, onMute.muted).off(RoomEvent.TrackUnmuted, onMute.unmuted);
    const endedAt = nowNanos();
    if (failure !== undefined) {
      const error = failure;
      this.ctx.onUpdate(streamEnded(this.target.redactedUrl, startedAt.ns, endedAt, error.message));
      throw error;
    }
    this.ctx.logger.info('websocket stream ended', { bytes: sink.bytesSent, samples: filler.written });
    return {
      reason: this.stopReason ?? 'Source closed',
      patch: streamEnded(this.target.redactedUrl, startedAt.ns, endedAt),
    };
  }

  private async pump(
    reader: ReadableStreamDefaultReader<AudioFrame>,
    filler: PcmGapFiller,
    startedAt: { ns: bigint },
  ): Promise<void> {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || this.stopping.signal.aborted) return;
      filler.frame(value.data);
      if (startedAt.ns === 0n) {
        startedAt.ns = nowNanos();
        this.ctx.onActive(streamStarted(this.target.redactedUrl, startedAt.ns));
      }
    }
  }
}

function mutedListener(found: FoundTrack, sink: WebSocketSink) {
  const matches = (publication: { sid?: string | undefined }): boolean => publication.sid === found.publication.sid;
  return {
    muted: (publication: { sid?: string | undefined }) => {
      if (matches(publication)) sink.sendMuted(true);
    },
    unmuted: (publication: { sid?: string | undefined }) => {
      if (matches(publication)) sink.sendMuted(false);
    },
  };
}

function streamStarted(url: string, startedAt: bigint): InfoPatch {
  return (info) => {
    info.streamResults = [new StreamInfo({ url, startedAt, status: StreamInfo_Status.ACTIVE })];
  };
}

function streamEnded(url: string, startedAt: bigint, endedAt: bigint, error?: string): InfoPatch {
  return (info) => {
    const started = startedAt === 0n ? endedAt : startedAt;
    info.streamResults = [
      new StreamInfo({
        url,
        startedAt: started,
        endedAt,
        duration: endedAt - started,
        status: error === undefined ? StreamInfo_Status.FINISHED : StreamInfo_Status.FAILED,
        error: error ?? '',
      }),
    ];
  };
}
