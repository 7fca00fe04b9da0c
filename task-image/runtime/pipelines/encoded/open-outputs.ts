import { tmpdir } from 'node:os';
import { resolveFilepath, type TimedFilenameContext } from '#domain/request/filename.ts';
import { resolveImageNames, resolveSegmentNames } from '#domain/request/output-names.ts';
import type { FileOutputPlan, ImageOutputPlan, SegmentsOutputPlan } from '#domain/request/plan.ts';
import { FileSink, type FileMediaTime } from '../../sinks/file-sink.ts';
import { ImagesSink } from '../../sinks/images-sink.ts';
import { SegmentsSink } from '../../sinks/segments-sink.ts';
import type { PipelineContext } from '../pipeline.ts';

const contentTypes: Readonly<Record<string, string>> = { mp4: 'video/mp4', ogg: 'audio/ogg', mp3: 'audio/mpeg' };

/** An opened file output and its resolved key. */
export interface OpenedFile {
  readonly sink: FileSink;
  readonly key: string;
}

/** Opens the file output: resolves its name, starts the upload, starts its muxer. */
export async function openFile(
  ctx: PipelineContext,
  file: FileOutputPlan,
  context: TimedFilenameContext,
  media?: FileMediaTime,
): Promise<OpenedFile> {
  const container = file.fileType === 'auto' || file.fileType === 'webm' ? 'mp4' : file.fileType;
  const key = resolveFilepath(file.filepath, { identifier: ctx.plan.fileIdentifier, container, context });
  const upload = await ctx.storage(file.storage).openUpload(key, {
    contentType: contentTypes[container] ?? 'application/octet-stream',
    metadata: { ...(file.storage?.metadata ?? {}), 'egress-id': ctx.egressId, room: ctx.plan.roomName },
    ...(file.storage === undefined
      ? {}
      : { tagging: file.storage.tagging, contentDisposition: file.storage.contentDisposition }),
  });
  const encoding = ctx.plan.encoding;
  const audioCodec = ctx.plan.audio && typeof encoding === 'object' ? encoding.audioCodec : undefined;
  const logger = ctx.logger.child({ output: 'file' });
  return { sink: new FileSink({ key, container, audioCodec, upload, logger, media }), key };
}

/** Opens the HLS output. */
export function openSegments(
  ctx: PipelineContext,
  plan: SegmentsOutputPlan,
  context: TimedFilenameContext,
): SegmentsSink {
  return new SegmentsSink({
    plan,
    storage: ctx.storage(plan.storage),
    names: resolveSegmentNames(plan, ctx.plan.fileIdentifier, context),
    egressId: ctx.egressId,
    roomName: ctx.plan.roomName,
    logger: ctx.logger,
    workDir: tmpdir(),
  });
}

/** Opens one thumbnails output. */
export function openImages(ctx: PipelineContext, plan: ImageOutputPlan, context: TimedFilenameContext): ImagesSink {
  return new ImagesSink({
    plan,
    storage: ctx.storage(plan.storage),
    names: resolveImageNames(plan.filenamePrefix, ctx.plan.fileIdentifier, context),
    egressId: ctx.egressId,
    roomName: ctx.plan.roomName,
    logger: ctx.logger.child({ output: 'images' }),
  });
}
