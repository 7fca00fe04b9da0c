import type { EgressJob, JobQueue } from '#ports/job-queue.ts';
import type { DispatchOutcome } from '#use-cases/dispatch-egress.ts';
import type { Logger } from '#shared/logger.ts';

/** Runs one job; `finalAttempt` tells the dispatcher to fail the egress instead of asking for a retry. */
export type JobConsumer = (job: EgressJob, finalAttempt: boolean) => Promise<DispatchOutcome>;

export interface InProcessQueueOptions {
  readonly consumer: JobConsumer;
  readonly logger: Logger;
  /** Deliveries per job before it is given up (the SQS maxReceiveCount). Default 5. */
  readonly maxAttempts?: number;
  /** Delay before the first retry, doubled each time. Default 500 ms. */
  readonly retryDelayMs?: number;
}

/**
 * The jobs queue of local mode: delivers each job to the dispatcher on the next tick, redelivers with backoff
 * when it asks for a retry (as SQS does after the visibility timeout), and tracks jobs in flight so shutdown
 * can wait for them. Jobs lost to a restart are recovered from the store (STARTING records without a task).
 */
export class InProcessQueue implements JobQueue {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: InProcessQueueOptions) {}

  enqueue(job: EgressJob): Promise<void> {
    if (this.closed) return Promise.reject(new Error('queue is closed'));
    this.deliver(job, 1);
    return Promise.resolve();
  }

  /** Stops redeliveries and waits for the deliveries under way. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all(this.inFlight);
  }

  private deliver(job: EgressJob, attempt: number): void {
    const max = this.options.maxAttempts ?? 5;
    const run = (async () => {
      try {
        const outcome = await this.options.consumer(job, attempt >= max);
        if (outcome === 'retry' && !this.closed) this.later(job, attempt + 1);
      } catch (err) {
        this.options.logger.error('job failed', { egressId: job.egressId, attempt, err });
        if (attempt < max && !this.closed) this.later(job, attempt + 1);
      }
    })();
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  private later(job: EgressJob, attempt: number): void {
    const delay = (this.options.retryDelayMs ?? 500) * 2 ** (attempt - 2);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.deliver(job, attempt);
    }, delay);
    this.timers.add(timer);
  }
}
