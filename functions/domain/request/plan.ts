import { AudioMixing } from '@livekit/protocol';
import type { StartEgressRequest, WebhookConfig } from '@livekit/protocol';
import { invalidField } from '#domain/errors.ts';
import { chooseCodecs, fileFormats } from './codecs.ts';
import type { OutputFormat } from './codecs.ts';
import type { EgressRequest } from './egress-request.ts';
import { readEncoding, streamKeyFrameIntervalSec, toEncodingPlan } from './encoding.ts';
import type { AudioCodecName, EncodingChoice, EncodingPlan, EncodingSettings } from './encoding.ts';
import { collectTrackOutputs, collectV1Outputs, collectV2Outputs } from './outputs.ts';
import type { CollectedOutputs, V1EncodedOutputs } from './outputs.ts';
import { passthroughSource } from './passthrough.ts';
import type { EgressPlan, PlanOutputs } from './plan-types.ts';
import {
  mediaSource,
  participantSource,
  templateSource,
  trackCompositeSource,
  trackSource,
  webSource,
} from './sources.ts';
import type { SourcePlan } from './sources.ts';
import type { StorageSpec } from './storage.ts';

// The plan's types, for callers that import only this module.
export type {
  AudioRoutePlan,
  EgressPlan,
  FileOutputPlan,
  ImageOutputPlan,
  MediaSource,
  ParticipantSource,
  PlanOutputs,
  PlanSource,
  SegmentsOutputPlan,
  StreamOutputPlan,
  TemplateSource,
  TrackSource,
  TracksSource,
  WebSource,
} from './plan-types.ts';

/** The storage settings of every output with its own S3Upload, in output order. */
export function outputStorages(outputs: PlanOutputs): StorageSpec[] {
  const specs = [outputs.file?.storage, outputs.segments?.storage, ...outputs.images.map((i) => i.storage)];
  return specs.filter((spec): spec is StorageSpec => spec !== undefined);
}

/**
 * Validates an egress request with LiveKit's rules and messages and resolves it into the {@link EgressPlan}
 * the task runtime builds its pipeline from. Pure: no I/O, no clock. Throws an `EgressError` (almost always
 * `invalid_argument`, `request has missing or invalid field: X`) for the first rule the request breaks.
 */
export function resolvePlan(request: EgressRequest): EgressPlan {
  switch (request.case) {
    case 'roomComposite': {
      const r = request.value;
      requireRoom(r.roomName);
      return encodedV1Plan(templateSource(r, r.audioMixing), r.roomName, r.options, r, r.webhooks);
    }
    case 'web':
      return encodedV1Plan(webSource(request.value), '', request.value.options, request.value, request.value.webhooks);
    case 'participant': {
      const r = request.value;
      requireRoom(r.roomName);
      return encodedV1Plan(participantSource(r), r.roomName, r.options, r, r.webhooks);
    }
    case 'trackComposite': {
      const r = request.value;
      requireRoom(r.roomName);
      return encodedV1Plan(trackCompositeSource(r), r.roomName, r.options, r, r.webhooks);
    }
    case 'track': {
      const r = request.value;
      requireRoom(r.roomName);
      const source = trackSource(r.trackId);
      const collected = collectTrackOutputs(r);
      // A WebSocket gets decoded PCM: nothing is encoded. A file gets the track's own packets.
      const encoding = collected.outputs.stream ? undefined : 'passthrough';
      return assemble(source, r.roomName, collected, encoding, r.webhooks);
    }
    case 'egress':
      return v2Plan(request.value);
  }
}

function requireRoom(roomName: string): void {
  if (roomName === '') throw invalidField('room_name');
}

function encodedV1Plan(
  source: SourcePlan,
  roomName: string,
  options: EncodingChoice,
  outputs: V1EncodedOutputs,
  webhooks: readonly WebhookConfig[],
): EgressPlan {
  const settings = readEncoding(options);
  const collected = collectV1Outputs(outputs, source);
  // PASSTHROUGH is shared with request types that always transcode.
  if (settings === 'passthrough') throw invalidField('preset');
  return transcodedPlan(source, roomName, collected, settings, webhooks);
}

function v2Plan(request: StartEgressRequest): EgressPlan {
  const settings = readEncoding(request.encoding);
  const source = settings === 'passthrough' ? passthroughSource(request) : v2Source(request);
  if (source.requestType !== 'web') requireRoom(request.roomName);
  const collected = collectV2Outputs(request, source);
  if (settings === 'passthrough') {
    return assemble(source, request.roomName, collected, 'passthrough', request.webhooks);
  }
  return transcodedPlan(source, request.roomName, collected, settings, request.webhooks);
}

function v2Source(request: StartEgressRequest): SourcePlan {
  switch (request.source.case) {
    case 'template':
      return templateSource(request.source.value, AudioMixing.DEFAULT_MIXING);
    case 'web':
      return webSource(request.source.value);
    case 'media':
      return mediaSource(request.source.value);
    default:
      throw invalidField('source');
  }
}

/**
 * Keyframes, codecs and file type of a transcoded egress (LiveKit's `updateOutputs` tail and
 * `validateAndUpdateOutputParams`).
 */
function transcodedPlan(
  source: SourcePlan,
  roomName: string,
  collected: CollectedOutputs,
  settings: EncodingSettings,
  webhooks: readonly WebhookConfig[],
): EgressPlan {
  const { outputs: withSegments, keyFrameIntervalSec } = applyKeyFrameRules(collected.outputs, settings);
  const { file, stream, segments } = withSegments;
  const formats: OutputFormat[] = [];
  if (file) formats.push(file.fileType === 'auto' ? 'auto' : fileFormats[file.fileType]);
  if (segments) formats.push('application/x-mpegurl');
  if (stream) formats.push(stream.protocol === 'websocket' ? 'audio/x-raw' : stream.protocol);

  const choice = chooseCodecs({
    audio: collected.audio,
    video: collected.video,
    audioCodec: streamAudioCodec(withSegments) ?? settings.audioCodec,
    formats,
  });
  const encoding = toEncodingPlan(settings, choice.audioCodec, keyFrameIntervalSec);
  const outputs: PlanOutputs = {
    ...withSegments,
    file: file && choice.fileContainer ? { ...file, fileType: choice.fileContainer } : file,
    images: withSegments.images.map((image) =>
      // Web and template sources capture at the encoding size; SDK sources default to the track's size.
      source.source.kind === 'template' || source.source.kind === 'web'
        ? { ...image, width: image.width ?? encoding.width, height: image.height ?? encoding.height }
        : image,
    ),
  };
  return assemble(source, roomName, { ...collected, outputs }, encoding, webhooks);
}

/** RTMP and SRT carry AAC, a WebSocket raw PCM, whatever the request asked for (as in LiveKit). */
function streamAudioCodec(outputs: PlanOutputs): AudioCodecName | undefined {
  if (!outputs.stream) return undefined;
  return outputs.stream.protocol === 'websocket' ? 'pcm' : 'aac';
}

/**
 * Streams default to a 4 s keyframe interval. With segments, keyframes follow the segment duration,
 * which a stream's explicit interval can shorten; file-only keeps the encoder default unless one is given.
 */
function applyKeyFrameRules(
  outputs: PlanOutputs,
  settings: EncodingSettings,
): { outputs: PlanOutputs; keyFrameIntervalSec: number | undefined } {
  const requested = settings.keyFrameIntervalSec;
  if (outputs.segments) {
    const duration =
      outputs.stream && requested > 0
        ? Math.max(1, Math.min(Math.floor(requested), outputs.segments.segmentDurationSec))
        : outputs.segments.segmentDurationSec;
    return {
      outputs: { ...outputs, segments: { ...outputs.segments, segmentDurationSec: duration } },
      keyFrameIntervalSec: duration,
    };
  }
  if (outputs.stream) return { outputs, keyFrameIntervalSec: requested > 0 ? requested : streamKeyFrameIntervalSec };
  return { outputs, keyFrameIntervalSec: requested > 0 ? requested : undefined };
}

function assemble(
  source: SourcePlan,
  roomName: string,
  collected: CollectedOutputs,
  encoding: EncodingPlan | 'passthrough' | undefined,
  webhooks: readonly WebhookConfig[],
): EgressPlan {
  const fileIdentifier = source.source.kind === 'track' ? source.source.trackId : roomName === '' ? 'web' : roomName;
  return {
    requestType: source.requestType,
    roomName,
    sourceType: source.sourceType,
    source: source.source,
    audio: collected.audio,
    video: collected.video,
    encoding,
    outputs: collected.outputs,
    fileIdentifier,
    webhooks: webhooks.map((webhook) => webhook.clone()),
  };
}
