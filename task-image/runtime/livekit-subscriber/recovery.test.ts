import { describe, expect, test } from 'vitest';
import { SubscriberConnectError } from './errors.ts';
import { Recovery, ResumeRefusedError, type RecoveryMode } from './recovery.ts';

/** Attempts that fail with `errors` in turn (then succeed), recording what was tried and when. */
function script(errors: readonly Error[]) {
  const tried: { mode: RecoveryMode; at: number }[] = [];
  const gaveUp: string[] = [];
  const started = Date.now();
  const attempt = (mode: RecoveryMode) => (): Promise<void> => {
    tried.push({ mode, at: Date.now() - started });
    const err = errors[tried.length - 1];
    return err === undefined ? Promise.resolve() : Promise.reject(err);
  };
  return {
    tried,
    gaveUp,
    attempts: {
      resume: attempt('resume'),
      rejoin: attempt('rejoin'),
      giveUp: (message: string) => gaveUp.push(message),
      attemptFailed: () => undefined,
    },
  };
}

const unreachable = new SubscriberConnectError('connect-failed', 'cannot reach LiveKit');

describe('Recovery', () => {
  test('retries a resume on the backoff schedule until it works', async () => {
    const s = script([unreachable, unreachable]);
    expect(await new Recovery(s.attempts, 10_000).run('resume')).toBe(true);
    expect(s.tried.map((t) => t.mode)).toEqual(['resume', 'resume', 'resume']);
    // 0, then 0.3 s, then 1 s later.
    expect(s.tried[1]!.at).toBeGreaterThanOrEqual(290);
    expect(s.tried[2]!.at - s.tried[1]!.at).toBeGreaterThanOrEqual(990);
    expect(s.gaveUp).toEqual([]);
  });

  test('a refused resume turns every later attempt into a rejoin', async () => {
    const s = script([new ResumeRefusedError('connect-failed', 'Leave'), unreachable]);
    expect(await new Recovery(s.attempts, 10_000).run('resume')).toBe(true);
    expect(s.tried.map((t) => t.mode)).toEqual(['resume', 'rejoin', 'rejoin']);
  });

  test('a 401 gives up at once: no retry can help', async () => {
    const s = script([new SubscriberConnectError('unauthorized', 'token expired')]);
    expect(await new Recovery(s.attempts, 10_000).run('resume')).toBe(false);
    expect(s.tried).toHaveLength(1);
    expect(s.gaveUp[0]).toContain('token expired');
  });

  test('gives up when the window passes, after a last attempt as it closes', async () => {
    const s = script(Array.from({ length: 20 }, () => unreachable));
    const started = Date.now();
    expect(await new Recovery(s.attempts, 1_500).run('resume')).toBe(false);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1_500);
    expect(elapsed).toBeLessThan(2_500);
    expect(s.tried.at(-1)!.at).toBeGreaterThanOrEqual(1_400);
    expect(s.gaveUp[0]).toMatch(/could not get it back within 1\.5 s: cannot reach LiveKit/);
  });

  test('cancel ends a pending backoff at once, without giving up', async () => {
    const s = script(Array.from({ length: 20 }, () => unreachable));
    const recovery = new Recovery(s.attempts, 60_000);
    const running = recovery.run('resume');
    setTimeout(() => recovery.cancel(), 500);
    const started = Date.now();
    expect(await running).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(s.gaveUp).toEqual([]);
  });
});
