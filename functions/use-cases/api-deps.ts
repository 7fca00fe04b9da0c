import type { Logger } from '#shared/logger.ts';
import type { EgressStore } from '#ports/egress-store.ts';
import type { JobQueue } from '#ports/job-queue.ts';
import type { RoomControl } from '#ports/room-control.ts';
import type { TaskLauncher } from '#ports/task-launcher.ts';

/** What the API use cases need; AWS and local mode each build one. */
export interface ApiDeps {
  readonly store: EgressStore;
  readonly queue: JobQueue;
  /** StopEgress's fallback for a task that does not react to the table (ECS StopTask / SIGTERM). */
  readonly launcher: Pick<TaskLauncher, 'stop'>;
  readonly rooms: RoomControl;
  /** The deployment's API key: the only `signing_key` a request's webhooks may name. */
  readonly apiKey: string;
  readonly logger: Logger;
  readonly now?: () => number;
}
