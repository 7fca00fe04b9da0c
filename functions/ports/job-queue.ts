/** The only message the jobs queue carries: the table is the source of truth (design decision 3). */
export interface EgressJob {
  readonly egressId: string;
}

/** Producer side of the jobs queue (SQS in AWS, in-process in local mode). */
export interface JobQueue {
  enqueue(job: EgressJob): Promise<void>;
}
