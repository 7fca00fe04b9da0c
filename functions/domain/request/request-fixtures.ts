import {
  DirectFileOutput,
  EncodedFileOutput,
  ImageOutput,
  ParticipantEgressRequest,
  RoomCompositeEgressRequest,
  S3Upload,
  SegmentedFileOutput,
  StartEgressRequest,
  StreamOutput,
  TrackCompositeEgressRequest,
  TrackEgressRequest,
  WebEgressRequest,
} from '@livekit/protocol';
import type { PartialMessage } from '@bufbuild/protobuf';
import { EgressError } from '#domain/errors.ts';
import type { EgressRequest } from './egress-request.ts';

/** Test factories: requests that pass validation unless a test changes one field. */

/** An S3 upload with every field set. */
export function s3(overrides: PartialMessage<S3Upload> = {}): S3Upload {
  return new S3Upload({ bucket: 'recordings', region: 'eu-west-1', ...overrides });
}

/** A file output of DEFAULT_FILETYPE. */
export function fileOutput(overrides: PartialMessage<EncodedFileOutput> = {}): EncodedFileOutput {
  return new EncodedFileOutput({ filepath: 'rec/{room_name}-{time}.mp4', ...overrides });
}

/** An RTMP stream output with one URL. */
export function rtmpOutput(urls: string[] = ['rtmp://live.example.com/app/streamkey123']): StreamOutput {
  return new StreamOutput({ urls });
}

/** An HLS segments output. */
export function segmentsOutput(overrides: PartialMessage<SegmentedFileOutput> = {}): SegmentedFileOutput {
  return new SegmentedFileOutput({ filenamePrefix: 'hls/seg', playlistName: 'hls/index.m3u8', ...overrides });
}

/** An images output. */
export function imageOutput(overrides: PartialMessage<ImageOutput> = {}): ImageOutput {
  return new ImageOutput({ filenamePrefix: 'thumbs/img', ...overrides });
}

/** A room composite with one MP4 file output. */
export function roomComposite(overrides: PartialMessage<RoomCompositeEgressRequest> = {}): EgressRequest {
  return {
    case: 'roomComposite',
    value: new RoomCompositeEgressRequest({
      roomName: 'demo',
      layout: 'grid',
      fileOutputs: [fileOutput()],
      ...overrides,
    }),
  };
}

/** A web egress with one file output. */
export function web(overrides: PartialMessage<WebEgressRequest> = {}): EgressRequest {
  return {
    case: 'web',
    value: new WebEgressRequest({ url: 'https://example.com/page', fileOutputs: [fileOutput()], ...overrides }),
  };
}

/** A participant egress with one file output. */
export function participant(overrides: PartialMessage<ParticipantEgressRequest> = {}): EgressRequest {
  return {
    case: 'participant',
    value: new ParticipantEgressRequest({
      roomName: 'demo',
      identity: 'alice',
      fileOutputs: [fileOutput()],
      ...overrides,
    }),
  };
}

/** A track composite with audio and video and one file output. */
export function trackComposite(overrides: PartialMessage<TrackCompositeEgressRequest> = {}): EgressRequest {
  return {
    case: 'trackComposite',
    value: new TrackCompositeEgressRequest({
      roomName: 'demo',
      audioTrackId: 'TR_audio',
      videoTrackId: 'TR_video',
      fileOutputs: [fileOutput()],
      ...overrides,
    }),
  };
}

/** A track egress to a file. */
export function track(overrides: PartialMessage<TrackEgressRequest> = {}): EgressRequest {
  return {
    case: 'track',
    value: new TrackEgressRequest({
      roomName: 'demo',
      trackId: 'TR_abc',
      output: { case: 'file', value: new DirectFileOutput({ filepath: 'tracks/' }) },
      ...overrides,
    }),
  };
}

/** A v2 request: a grid template recorded to one file. */
export function v2(overrides: PartialMessage<StartEgressRequest> = {}): EgressRequest {
  return {
    case: 'egress',
    value: new StartEgressRequest({
      roomName: 'demo',
      source: { case: 'template', value: { layout: 'grid' } },
      outputs: [{ config: { case: 'file', value: { filepath: 'v2/out' } } }],
      ...overrides,
    }),
  };
}

/** The {@link EgressError} `fn` throws; throws itself when `fn` throws nothing or something else. */
export function errorOf(fn: () => unknown): EgressError {
  try {
    fn();
  } catch (err) {
    if (err instanceof EgressError) return err;
    throw err;
  }
  throw new Error('expected an EgressError, nothing was thrown');
}

/**
 * A numeric value outside an enum, as a binary request from a newer protocol version may carry. Typed
 * `never` so it fits any enum field.
 */
export function unknownEnumValue(value: number): never {
  return value as never;
}
