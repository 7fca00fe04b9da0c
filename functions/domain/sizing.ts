import type { EgressPlan } from './request/plan-types.ts';

/** Which image a task runs: the full composite recorder, or the small track forwarder. */
export type TaskImage = 'recorder' | 'forwarder';

/** Size of a task, in Fargate units. */
export interface TaskSize {
  /** vCPU in units of 1/1024 (256 = 0.25 vCPU). */
  readonly cpu: number;
  /** Memory in MiB. */
  readonly memoryMiB: number;
  /** Where the task runs: Fargate, Fargate Spot, or EC2 instances with a GPU. */
  readonly capacity: 'FARGATE' | 'FARGATE_SPOT' | 'EC2_GPU';
}

/** The image and size of the task for one egress. */
export interface TaskChoice {
  readonly image: TaskImage;
  readonly size: TaskSize;
}

const fargate = (cpu: number, memoryMiB: number): TaskSize => ({ cpu, memoryMiB, capacity: 'FARGATE' });

/**
 * The one sizing table: request type and encoding → image and Fargate size (valid Fargate CPU/memory pairs).
 *
 * | egress | image | size | why |
 * | --- | --- | --- | --- |
 * | track (passthrough, WebSocket) | forwarder | 0.25 vCPU, 512 MiB | no transcoding: ~0.02 core per track |
 * | composite, audio only | recorder | 0.5 vCPU, 1 GiB | Opus/AAC encode of a mix |
 * | participant / track composite, video ≤ 720p30 | recorder | 1 vCPU, 2 GiB | decode + x264 veryfast |
 * | room composite / web ≤ 720p30 | recorder | 2 vCPU, 4 GiB | Chrome + Xvfb + x264 (0.5 core measured, with headroom for Chrome's spikes) |
 * | anything above 720p30 | recorder | 4 vCPU, 8 GiB | x264 cost grows with pixels × fps |
 */
export function taskFor(plan: EgressPlan): TaskChoice {
  if (plan.source.kind === 'track') return { image: 'forwarder', size: fargate(256, 512) };
  const encoding = plan.encoding;
  if (!plan.video || encoding === undefined || encoding === 'passthrough') {
    return { image: 'recorder', size: fargate(512, 1024) };
  }
  const heavy = encoding.width * encoding.height * encoding.framerate > 1280 * 720 * 30;
  if (heavy) return { image: 'recorder', size: fargate(4096, 8192) };
  const browser = plan.source.kind === 'template' || plan.source.kind === 'web';
  return { image: 'recorder', size: browser ? fargate(2048, 4096) : fargate(1024, 2048) };
}
