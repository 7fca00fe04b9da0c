import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { EgressJob, JobQueue } from '#ports/job-queue.ts';

/** The jobs queue on SQS: each message is exactly `{"egressId":"EG_…"}`. */
export class SqsJobQueue implements JobQueue {
  constructor(
    private readonly queueUrl: string,
    private readonly client: SQSClient = new SQSClient({}),
  ) {}

  async enqueue(job: EgressJob): Promise<void> {
    await this.client.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify({ egressId: job.egressId }) }),
    );
  }
}
