import { RtcBenchError } from './bench-errors.ts';

/**
 * Waits for `work`, at most `ms`: a clean-up that hangs then fails with the name of the part that hung,
 * instead of a hook timeout that does not say which of several stops never returned.
 */
export async function bounded<T>(label: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RtcBenchError(`${label} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
