import {
  EncodedFileType,
  ImageCodec,
  ImageFileSuffix,
  SegmentedFileProtocol,
  SegmentedFileSuffix,
  StreamProtocol,
} from '@livekit/protocol';
import type { ImageOutput, SegmentedFileOutput, StreamOutput } from '@livekit/protocol';
import { invalidField } from '#domain/errors.ts';
import type { FileContainer } from './codecs.ts';
import { cleanPath } from './filename.ts';
import { resolveSegmentNames } from './output-names.ts';
import type { ImageSuffix, SegmentSuffix } from './output-names.ts';
import type { FileOutputPlan, ImageOutputPlan, SegmentsOutputPlan, StreamOutputPlan } from './plan-types.ts';
import { noCompatibleCodec } from './request-errors.ts';
import type { StorageSpec } from './storage.ts';
import { protocolOfUrl, validateStreamUrl } from './stream-url.ts';
import type { StreamProtocolName, StreamUrl } from './stream-url.ts';

/** Segment duration when the request sets none, seconds. */
export const defaultSegmentDurationSec = 4;

/** Image capture interval when the request sets none, seconds. */
export const defaultCaptureIntervalSec = 10;

/** DEFAULT_FILETYPE → `auto` (decided from the codecs); MP4, OGG, MP3 as named. */
export function fileTypeOf(fileType: EncodedFileType): Exclude<FileContainer, 'webm'> | 'auto' {
  switch (fileType) {
    case EncodedFileType.DEFAULT_FILETYPE:
      return 'auto';
    case EncodedFileType.MP4:
      return 'mp4';
    case EncodedFileType.OGG:
      return 'ogg';
    case EncodedFileType.MP3:
      return 'mp3';
    default:
      throw invalidField('file_type');
  }
}

/** A file output; its path is cleaned but its tokens are left for the task to expand. */
export function fileOutput(
  fileType: FileContainer | 'auto',
  file: { readonly filepath: string; readonly disableManifest: boolean },
  storage: StorageSpec | undefined,
): FileOutputPlan {
  return { fileType, filepath: cleanPath(file.filepath), disableManifest: file.disableManifest, storage };
}

function streamProtocol(stream: StreamOutput): StreamProtocolName {
  switch (stream.protocol) {
    case StreamProtocol.DEFAULT_PROTOCOL: {
      const first = stream.urls[0];
      if (first === undefined) throw invalidField('stream protocol');
      return protocolOfUrl(first);
    }
    case StreamProtocol.RTMP:
      return 'rtmp';
    case StreamProtocol.SRT:
      return 'srt';
    case StreamProtocol.WEBSOCKET:
      return 'websocket';
    default:
      throw invalidField('stream protocol');
  }
}

/** A stream output: the protocol (named, or from the first URL) and every URL validated for it. */
export function streamOutput(stream: StreamOutput): StreamOutputPlan {
  const protocol = streamProtocol(stream);
  const urls = new Map<string, StreamUrl>();
  // LiveKit keys streams by URL: a URL given twice is one stream.
  for (const raw of stream.urls) {
    const url = validateStreamUrl(raw, protocol);
    urls.set(url.url, url);
  }
  return { protocol, urls: [...urls.values()] };
}

function segmentSuffix(suffix: SegmentedFileSuffix): SegmentSuffix {
  switch (suffix) {
    case SegmentedFileSuffix.INDEX:
      return 'index';
    case SegmentedFileSuffix.TIMESTAMP:
      return 'timestamp';
    default:
      throw invalidField('filename_suffix');
  }
}

/** An HLS segments output, with LiveKit's defaults; its names are checked now, expanded by the task. */
export function segmentsOutput(segments: SegmentedFileOutput, storage: StorageSpec | undefined): SegmentsOutputPlan {
  if (
    segments.protocol !== SegmentedFileProtocol.DEFAULT_SEGMENTED_FILE_PROTOCOL &&
    segments.protocol !== SegmentedFileProtocol.HLS_PROTOCOL
  ) {
    throw invalidField('segments protocol');
  }
  const templates = {
    filenamePrefix: cleanPath(segments.filenamePrefix),
    playlistName: cleanPath(segments.playlistName),
    livePlaylistName: cleanPath(segments.livePlaylistName),
  };
  // Rejects a live playlist outside the playlist's directory, or named as the playlist.
  resolveSegmentNames(templates, '', { time: new Date(0) });
  return {
    protocol: 'hls',
    ...templates,
    segmentDurationSec: segments.segmentDuration === 0 ? defaultSegmentDurationSec : segments.segmentDuration,
    suffix: segmentSuffix(segments.filenameSuffix),
    disableManifest: segments.disableManifest,
    storage,
  };
}

function imageSuffix(suffix: ImageFileSuffix): ImageSuffix {
  switch (suffix) {
    case ImageFileSuffix.IMAGE_SUFFIX_INDEX:
      return 'index';
    case ImageFileSuffix.IMAGE_SUFFIX_TIMESTAMP:
      return 'timestamp';
    case ImageFileSuffix.IMAGE_SUFFIX_NONE_OVERWRITE:
      return 'none_overwrite';
    default:
      throw invalidField('filename_suffix');
  }
}

/** An images output (JPEG), with LiveKit's defaults. Width and height stay unset here (0 → undefined). */
export function imageOutput(images: ImageOutput, storage: StorageSpec | undefined): ImageOutputPlan {
  if (images.imageCodec !== ImageCodec.IC_DEFAULT && images.imageCodec !== ImageCodec.IC_JPEG) {
    throw noCompatibleCodec();
  }
  const suffix = imageSuffix(images.filenameSuffix);
  if (images.width < 0) throw invalidField('width');
  if (images.height < 0) throw invalidField('height');
  return {
    captureIntervalSec: images.captureInterval === 0 ? defaultCaptureIntervalSec : images.captureInterval,
    width: images.width === 0 ? undefined : images.width,
    height: images.height === 0 ? undefined : images.height,
    filenamePrefix: cleanPath(images.filenamePrefix),
    suffix,
    codec: 'jpeg',
    disableManifest: images.disableManifest,
    storage,
  };
}
