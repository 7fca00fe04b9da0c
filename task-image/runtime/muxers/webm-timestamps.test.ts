import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTool } from '#bench/tool-run.ts';
import { encodeClip } from './test-clips.ts';
import { vp8FrameSize } from './vp8-depacketizer.ts';
import { WebmWriter } from './webm-writer.ts';

describe('WebM block timestamps', () => {
  it('strictly increase even when frames arrive with times in the same millisecond or out of order', async () => {
    const frames = await encodeClip('vp8', 1);
    const chunks: Uint8Array[] = [];
    const writer = new WebmWriter({ output: (c) => chunks.push(c), codecId: 'V_VP8', frameSize: vp8FrameSize });
    // 90 kHz ticks: frame 3 lands 1 tick after frame 2 (same ms), frame 5 goes back in time.
    const times = frames.map((_, i) => i * 3000);
    times[3] = (times[2] ?? 0) + 1;
    times[5] = (times[4] ?? 0) - 4000;
    frames.forEach((f, i) => writer.write({ time: times[i] ?? 0, data: f.data, keyFrame: f.keyFrame }));
    writer.finish();
    const file = join(await mkdtemp(join(tmpdir(), 'ue-webm-')), 'same-ms.webm');
    await writeFile(file, Buffer.concat(chunks));
    const out: Buffer[] = [];
    await runTool('ffprobe', ['-v', 'error', '-show_entries', 'packet=pts_time', '-of', 'csv=p=0', file], {
      onStdout: (c) => out.push(c),
    });
    const pts = Buffer.concat(out).toString().trim().split('\n').map(Number);
    expect(pts).toHaveLength(frames.length);
    for (let i = 1; i < pts.length; i += 1) expect(pts[i]!).toBeGreaterThan(pts[i - 1]!);
  });
});
