/**
 * Which container a codec goes into, without transcoding — LiveKit's track egress choice: Opus → Ogg,
 * VP8 and VP9 → WebM, H.264 → MP4. Everything else is refused.
 */
import type { ChunkOutput, ContainerKind, ContainerWriter } from './container.ts';
import { UnsupportedCodecError } from './errors.ts';
import type { Depacketizer, FrameEvents } from './frame-assembler.ts';
import { FragmentedMp4Writer, type H264Config } from './fmp4-writer.ts';
import { H264Depacketizer } from './h264-depacketizer.ts';
import { parseH264Sps } from './h264-sps.ts';
import { OggOpusWriter } from './ogg-opus-writer.ts';
import { Vp8Depacketizer, vp8FrameSize } from './vp8-depacketizer.ts';
import { Vp9Depacketizer, vp9FrameSize } from './vp9-depacketizer.ts';
import { WebmWriter } from './webm-writer.ts';

/** The negotiated codec, as the subscriber describes it (`RtpCodec`). */
export interface RtpCodecInfo {
  readonly mimeType: string;
  readonly clockRate: number;
  readonly channels?: number;
  readonly payloadType: number;
  readonly fmtpLine?: string;
}

/** What a recorder is built from. */
export interface ContainerParts {
  readonly writer: ContainerWriter;
  /** Video only: turns payloads into frames, reporting to `events`. */
  readonly depacketizer?: (events: FrameEvents) => Depacketizer;
  /** Video only: whether a key frame can start the file now. */
  readonly canStart?: () => boolean;
}

/** The file a codec is recorded into. */
export interface ContainerInfo {
  readonly kind: ContainerKind;
  /** File name extension with its dot. */
  readonly extension: string;
  /** Content type of the file (for S3's Content-Type). */
  readonly contentType: string;
}

/** A container for a codec, and how to build its parts. */
export interface ContainerChoice extends ContainerInfo {
  create(params: { output: ChunkOutput; fragmentMs: number | undefined; codec: RtpCodecInfo }): ContainerParts;
}

const ogg: ContainerChoice = {
  kind: 'ogg',
  extension: '.ogg',
  contentType: 'audio/ogg',
  create: ({ output, fragmentMs, codec }) => ({
    writer: new OggOpusWriter({ output, pageMs: fragmentMs, channels: codec.channels }),
  }),
};

function webm(codecId: 'V_VP8' | 'V_VP9'): ContainerChoice {
  const vp8 = codecId === 'V_VP8';
  return {
    kind: 'webm',
    extension: '.webm',
    contentType: 'video/webm',
    create: ({ output, fragmentMs, codec }) => ({
      writer: new WebmWriter({
        output,
        codecId,
        clockRate: codec.clockRate,
        clusterMs: fragmentMs,
        frameSize: vp8 ? vp8FrameSize : vp9FrameSize,
      }),
      depacketizer: (events) => (vp8 ? new Vp8Depacketizer(events) : new Vp9Depacketizer(events)),
    }),
  };
}

const mp4: ContainerChoice = {
  kind: 'mp4',
  extension: '.mp4',
  contentType: 'video/mp4',
  create: ({ output, fragmentMs, codec }) => {
    // The writer reads the depacketizer's parameter sets when the first key frame arrives.
    let depacketizer: H264Depacketizer | undefined;
    const config = (): H264Config | undefined => {
      const sets = depacketizer?.parameterSets;
      const info = sets === undefined ? undefined : parseH264Sps(sets.sps);
      return sets === undefined || info === undefined ? undefined : { ...sets, info };
    };
    return {
      writer: new FragmentedMp4Writer({ output, config, clockRate: codec.clockRate, fragmentMs }),
      depacketizer: (events) => (depacketizer = new H264Depacketizer(events)),
      canStart: () => config() !== undefined,
    };
  },
};

/**
 * The container for `codec`.
 * @throws UnsupportedCodecError when the codec cannot be written without transcoding.
 */
export function chooseContainer(codec: RtpCodecInfo): ContainerChoice {
  const mimeType = codec.mimeType.toLowerCase();
  switch (mimeType) {
    case 'audio/opus':
      return ogg;
    case 'video/vp8':
      return webm('V_VP8');
    case 'video/vp9':
      return webm('V_VP9');
    case 'video/h264':
      return mp4;
    case 'audio/red':
      throw new UnsupportedCodecError(codec.mimeType, 'Opus must arrive without RED redundancy');
    case 'audio/pcmu':
    case 'audio/pcma':
      throw new UnsupportedCodecError(codec.mimeType, 'G.711 would have to be transcoded to Opus');
    default:
      throw new UnsupportedCodecError(codec.mimeType);
  }
}

/**
 * The container, extension and content type `codec` is recorded into, without creating a recorder (to
 * name the output before the first packet).
 * @throws UnsupportedCodecError when the codec cannot be written without transcoding.
 */
export function containerFor(codec: RtpCodecInfo): ContainerInfo {
  const { kind, extension, contentType } = chooseContainer(codec);
  return { kind, extension, contentType };
}
