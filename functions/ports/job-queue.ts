import type { EgressJob } from '#domain/egress-job.ts';

export type { EgressJob };

/** Producer side of the jobs queue (SQS in AWS, in-process in local mode). */
export interface JobQueue {
  enqueue(job: EgressJob): Promise<void>;
}
