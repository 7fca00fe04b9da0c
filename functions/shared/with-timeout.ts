/** A wait given up after its time limit; the message says what did not happen in time. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * `promise`'s outcome, or a {@link TimeoutError} "`what` within `ms` ms" once `ms` passed first. The timer
 * is cleared either way, so a settled wait keeps no process alive.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
