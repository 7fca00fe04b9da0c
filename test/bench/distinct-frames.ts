import { runTool } from './tool-run.ts';

/**
 * Distinct pictures per second of a file's video: the frames that survive ffmpeg's `mpdecimate` (which
 * drops a frame that barely differs from the previous one) over the video's duration. A capture that
 * repeats frames Chromium never painted keeps its container frame rate but fails this count.
 */
export async function distinctFramesPerSecond(
  file: string,
): Promise<{ distinct: number; seconds: number; fps: number }> {
  const { stderr } = await runTool(
    'ffmpeg',
    ['-nostats', '-i', file, '-map', '0:v:0', '-vf', 'mpdecimate,showinfo', '-f', 'null', '-'],
    { keepStderr: (line) => line.includes('Parsed_showinfo') && line.includes('pts_time:') },
  );
  const times = stderr
    .map((line) => /pts_time:\s*([\d.]+)/.exec(line)?.[1])
    .filter((t): t is string => t !== undefined)
    .map(Number);
  const first = times[0] ?? 0;
  const last = times.at(-1) ?? 0;
  const seconds = Math.max(last - first, 1e-3);
  return { distinct: times.length, seconds, fps: (times.length - 1) / seconds };
}
