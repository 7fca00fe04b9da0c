/**
 * A task could not be started. `retryable` errors (throttling, no capacity right now) are retried by the
 * dispatcher with backoff; the others fail the egress at once.
 */
export class LaunchError extends Error {
  override readonly name = 'LaunchError';

  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
