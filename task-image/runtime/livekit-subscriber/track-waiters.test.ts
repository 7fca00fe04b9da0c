import { TrackInfo } from '@livekit/protocol';
import { expect, test } from 'vitest';
import type { RemoteTrack } from './room-state.ts';
import { TrackWaiters } from './track-waiters.ts';

const track = (sid: string): RemoteTrack => ({
  sid,
  name: '',
  kind: 'audio',
  source: 'microphone',
  mimeType: 'audio/opus',
  muted: false,
  width: 0,
  height: 0,
  participant: { sid: 'PA', identity: 'p', name: '' },
  info: new TrackInfo({ sid }),
});

test('resolves every wait for the track that is found, and only those', async () => {
  const waiters = new TrackWaiters();
  const a = waiters.wait('TR_a', 5_000, () => new Error('timeout'));
  const a2 = waiters.wait('TR_a', 5_000, () => new Error('timeout'));
  const b = waiters.wait('TR_b', 50, () => new Error('b timed out'));
  waiters.found(track('TR_a'));
  expect((await a).sid).toBe('TR_a');
  expect((await a2).sid).toBe('TR_a');
  await expect(b).rejects.toThrow('b timed out');
  expect(waiters.size).toBe(0);
});

test('rejects on abort and on rejectAll, leaving nothing behind', async () => {
  const waiters = new TrackWaiters();
  const controller = new AbortController();
  const aborted = waiters.wait('TR_a', 5_000, () => new Error('timeout'), controller.signal);
  const closed = waiters.wait('TR_b', 5_000, () => new Error('timeout'));
  controller.abort();
  await expect(aborted).rejects.toMatchObject({ reason: 'aborted' });
  waiters.rejectAll(new Error('closed'));
  await expect(closed).rejects.toThrow('closed');
  expect(waiters.size).toBe(0);
  const already = new AbortController();
  already.abort();
  await expect(waiters.wait('TR_c', 5_000, () => new Error('t'), already.signal)).rejects.toMatchObject({
    reason: 'aborted',
  });
});
