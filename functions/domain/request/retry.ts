import type { EgressPlan } from './plan-types.ts';
import { nonRetryableOutput } from './request-errors.ts';

const retryToken = '{retry}';

/**
 * Throws FailedPrecondition `output configuration does not support retry` when a retried attempt
 * (`retryCount > 0`) would overwrite the previous attempt's objects: an explicit file path without
 * `{retry}`, or an explicit segment prefix (or, without one, playlist name) without `{retry}`. Empty or
 * directory-only paths are fine: generated names get `-<retry>` appended.
 */
export function assertRetrySafe(plan: EgressPlan, retryCount: number): void {
  if (retryCount <= 0) return;
  const { file, segments } = plan.outputs;
  if (file && isExplicit(file.filepath) && !file.filepath.includes(retryToken)) throw nonRetryableOutput();
  if (segments) {
    const { filenamePrefix, playlistName } = segments;
    if (filenamePrefix !== '' && !filenamePrefix.includes(retryToken)) throw nonRetryableOutput();
    if (filenamePrefix === '' && playlistName !== '' && !playlistName.includes(retryToken)) {
      throw nonRetryableOutput();
    }
  }
}

function isExplicit(filepath: string): boolean {
  return filepath !== '' && !filepath.endsWith('/');
}
