import { EncodedFileType } from '@livekit/protocol';
import type { StartEgressRequest } from '@livekit/protocol';
import { invalidField } from '#domain/errors.ts';
import { trackSource } from './sources.ts';
import type { SourcePlan } from './sources.ts';

/**
 * The source of a v2 request with the PASSTHROUGH preset, which LiveKit allows only for shapes a remux can
 * express: a media source with exactly one track (a `video_track_id`, or a single audio route matched by
 * track id) and exactly one file output of DEFAULT_FILETYPE. Anything else is rejected rather than silently
 * re-encoded.
 */
export function passthroughSource(request: StartEgressRequest): SourcePlan {
  if (request.source.case !== 'media') throw invalidField('passthrough source');
  const media = request.source.value;

  let videoTrackId = '';
  if (media.video.case === 'videoTrackId') {
    if (media.video.value === '') throw invalidField('passthrough video_track_id');
    videoTrackId = media.video.value;
  } else if (media.video.case === 'participantVideo') {
    throw invalidField('passthrough participant_video');
  }

  let audioTrackId = '';
  if (media.audio !== undefined) {
    const routes = media.audio.routes;
    if (media.audio.captureAll) throw invalidField('passthrough capture_all');
    if (routes.length > 1) throw invalidField('passthrough audio routes');
    const match = routes[0]?.match;
    if (match !== undefined) {
      if (match.case !== 'trackId') throw invalidField('passthrough audio route match');
      if (match.value === '') throw invalidField('passthrough audio route track_id');
      audioTrackId = match.value;
    }
  }
  if ((videoTrackId === '') === (audioTrackId === '')) throw invalidField('passthrough track_id');

  const [output, ...others] = request.outputs;
  if (output === undefined || others.length > 0) throw invalidField('passthrough outputs');
  if (output.config.case !== 'file') throw invalidField('passthrough output');
  if (output.config.value.fileType !== EncodedFileType.DEFAULT_FILETYPE) throw invalidField('passthrough file_type');

  return videoTrackId === '' ? trackSource(audioTrackId, 'audio') : trackSource(videoTrackId, 'video');
}
