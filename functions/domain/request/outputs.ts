import type {
  EncodedFileOutput,
  ImageOutput,
  SegmentedFileOutput,
  StartEgressRequest,
  StreamOutput,
  TrackEgressRequest,
} from '@livekit/protocol';
import { invalidField } from '#domain/errors.ts';
import { fileOutput, fileTypeOf, imageOutput, segmentsOutput, streamOutput } from './output-configs.ts';
import type { ImageOutputPlan, PlanOutputs, SegmentsOutputPlan, StreamOutputPlan } from './plan-types.ts';
import { resolveStorage, storageFromUpload } from './storage.ts';
import { validateStreamUrl } from './stream-url.ts';

/** The outputs of a request, and what they leave of its audio and video. */
export interface CollectedOutputs {
  readonly outputs: PlanOutputs;
  /** False when images are the only output (LiveKit then records video only). */
  readonly audio: boolean;
  /** False when a v2 WebSocket output drops the video of an audio+video source. */
  readonly video: boolean;
}

/** What the source provides. */
export interface MediaKinds {
  readonly audio: boolean;
  readonly video: boolean;
}

/** The output fields shared by the v1 room composite, web, participant and track composite requests. */
export interface V1EncodedOutputs {
  readonly fileOutputs: readonly EncodedFileOutput[];
  readonly streamOutputs: readonly StreamOutput[];
  readonly segmentOutputs: readonly SegmentedFileOutput[];
  readonly imageOutputs: readonly ImageOutput[];
  /** The deprecated single output, used only when the matching list is empty. */
  readonly output?:
    | { readonly case: 'file'; readonly value: EncodedFileOutput }
    | { readonly case: 'stream'; readonly value: StreamOutput }
    | { readonly case: 'segments'; readonly value: SegmentedFileOutput }
    | { readonly case: undefined; readonly value?: undefined };
}

function single<T>(list: readonly T[], deprecated: T | undefined, field: string): T | undefined {
  if (list.length > 1) throw invalidField(field);
  return list[0] ?? deprecated;
}

function outputCount(outputs: PlanOutputs): number {
  const stream = outputs.stream?.urls.length ?? 0;
  return (outputs.file ? 1 : 0) + stream + (outputs.segments ? 1 : 0) + outputs.images.length;
}

/**
 * Outputs of a v1 encoded request: at most one file, one stream and one segments output (from the lists, or
 * the deprecated single field), any number of image outputs.
 */
export function collectV1Outputs(request: V1EncodedOutputs, media: MediaKinds): CollectedOutputs {
  const deprecated = request.output ?? { case: undefined };
  const file = single(
    request.fileOutputs,
    deprecated.case === 'file' ? deprecated.value : undefined,
    'multiple file outputs',
  );
  const stream = single(
    request.streamOutputs,
    deprecated.case === 'stream' ? deprecated.value : undefined,
    'multiple stream outputs',
  );
  const segments = single(
    request.segmentOutputs,
    deprecated.case === 'segments' ? deprecated.value : undefined,
    'multiple segmented file outputs',
  );

  const filePlan = file && fileOutput(fileTypeOf(file.fileType), file, storageFromUpload(file.output));
  const streamPlan = stream && streamOutput(stream);
  const segmentsPlan = segments && segmentsOutput(segments, storageFromUpload(segments.output));
  if (request.imageOutputs.length > 0 && !media.video) throw invalidField('audio_only images');
  const images = request.imageOutputs.map((image) => imageOutput(image, storageFromUpload(image.output)));

  const others = (filePlan ? 1 : 0) + (segmentsPlan ? 1 : 0) + images.length;
  // An empty stream output is valid only beside other outputs; URLs may be added later with UpdateStream.
  if (streamPlan && streamPlan.urls.length === 0 && others === 0) throw invalidField('stream url');

  const outputs: PlanOutputs = { file: filePlan, stream: streamPlan, segments: segmentsPlan, images };
  if (outputCount(outputs) === 0) throw invalidField('output');
  const encoded = filePlan !== undefined || streamPlan !== undefined || segmentsPlan !== undefined;
  return { outputs, audio: media.audio && encoded, video: media.video };
}

/**
 * Outputs of a v2 request, in order; storage of each from its own `storage`, the request's, or the
 * deployment default. A WebSocket output (raw PCM) drops the video of a source that has audio too.
 */
export function collectV2Outputs(request: StartEgressRequest, media: MediaKinds): CollectedOutputs {
  if (request.outputs.length === 0) throw invalidField('output');
  let video = media.video;
  let file: PlanOutputs['file'];
  let stream: StreamOutputPlan | undefined;
  let segments: SegmentsOutputPlan | undefined;
  const images: ImageOutputPlan[] = [];

  for (const output of request.outputs) {
    const storage = (): ReturnType<typeof resolveStorage> => resolveStorage(output.storage, request.storage);
    const config = output.config;
    switch (config.case) {
      case 'file':
        if (file) throw invalidField('multiple file outputs');
        file = fileOutput(fileTypeOf(config.value.fileType), config.value, storage());
        break;
      case 'stream':
        if (stream) throw invalidField('multiple stream outputs');
        stream = streamOutput(config.value);
        if (stream.protocol === 'websocket' && media.audio) video = false;
        break;
      case 'segments':
        if (segments) throw invalidField('multiple segmented file outputs');
        segments = segmentsOutput(config.value, storage());
        break;
      case 'images':
        if (!video) throw invalidField('audio_only images');
        images.push(imageOutput(config.value, storage()));
        break;
      default:
        throw invalidField('output config');
    }
  }

  const outputs: PlanOutputs = { file, stream, segments, images };
  if (outputCount(outputs) === 0) throw invalidField('output');
  const encoded = file !== undefined || stream !== undefined || segments !== undefined;
  return { outputs, audio: media.audio && encoded, video };
}

/** The one output of a v1 track egress: a file (container chosen by the track's codec) or a WebSocket. */
export function collectTrackOutputs(request: TrackEgressRequest): CollectedOutputs {
  const output = request.output;
  switch (output.case) {
    case 'file':
      return {
        outputs: { file: fileOutput('auto', output.value, storageFromUpload(output.value.output)), images: [] },
        audio: true,
        video: true,
      };
    case 'websocketUrl':
      return {
        outputs: {
          stream: { protocol: 'websocket', urls: [validateStreamUrl(output.value, 'websocket')] },
          images: [],
        },
        audio: true,
        video: false,
      };
    default:
      throw invalidField('output');
  }
}
