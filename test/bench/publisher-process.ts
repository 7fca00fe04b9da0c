import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { RtcBenchError } from './bench-errors.ts';
import type { PacerStats } from './pacer.ts';
import type { PublisherCommand, PublisherMessage } from './publisher-process-entry.ts';
import type { MediaKind, SyntheticPublisher, SyntheticPublisherOptions } from './synthetic-publisher.ts';

/** The synthetic publisher's controls, without its rtc-node room (which lives in the other process). */
export type PublisherHandle = Omit<SyntheticPublisher, 'room'>;

const entry = fileURLToPath(new URL('./publisher-process-entry.ts', import.meta.url));
const startTimeoutMs = 30_000;
const commandTimeoutMs = 15_000;
const stopTimeoutMs = 10_000;

/**
 * Starts a synthetic publisher in a child process of its own, its pacing thread at a higher priority. In the
 * test's process, the pacing loops share one event loop with the system under test (local mode runs
 * in-process), the reference subscribers and the analysis: on a 2-core host they stalled up to 140 ms at a
 * time and skipped the content of the stall, so recordings lacked beeps the publisher never sent. Its own
 * process keeps its clock. The child leaves the room and exits when stopped, and by itself when this
 * process goes (the IPC channel closes).
 */
export async function startPublisherProcess(options: SyntheticPublisherOptions): Promise<PublisherHandle> {
  const { logger: _logger, ...serialisable } = options;
  const child = fork(entry, [JSON.stringify(serialisable)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let state: { audioTrackSid: string | undefined; videoTrackSid: string | undefined } = {
    audioTrackSid: undefined,
    videoTrackSid: undefined,
  };
  let stats: { audio?: PacerStats; video?: PacerStats } = {};
  const pending = new Map<number, (message: Extract<PublisherMessage, { type: 'reply' }>) => void>();
  child.on('message', (message: PublisherMessage) => {
    if (message.type === 'stats') stats = { audio: message.audio, video: message.video };
    if (message.type === 'reply') {
      state = { audioTrackSid: message.audioTrackSid, videoTrackSid: message.videoTrackSid };
      pending.get(message.id)?.(message);
      pending.delete(message.id);
    }
  });
  const ready = await waitForReady(child, options.identity);
  state = { audioTrackSid: ready.audioTrackSid, videoTrackSid: ready.videoTrackSid };

  let nextId = 0;
  const command = async (op: PublisherCommand['op'], kind: MediaKind): Promise<void> => {
    const id = nextId++;
    const reply = await new Promise<Extract<PublisherMessage, { type: 'reply' }>>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new RtcBenchError(`${options.identity}: ${op} ${kind} got no answer`));
      }, commandTimeoutMs);
      pending.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      child.send({ id, op, kind } satisfies PublisherCommand);
    });
    if (reply.error !== undefined) throw new RtcBenchError(`${options.identity}: ${op} ${kind}: ${reply.error}`);
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.connected)
        child.send({ id: nextId++, op: 'stop' } satisfies PublisherCommand);
      const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
      await exited;
      clearTimeout(timer);
    })());

  return {
    identity: options.identity,
    startedAt: ready.startedAt,
    fps: ready.fps,
    get audioTrackSid() {
      return state.audioTrackSid;
    },
    get videoTrackSid() {
      return state.videoTrackSid;
    },
    mute: (kind) => command('mute', kind),
    unmute: (kind) => command('unmute', kind),
    unpublish: (kind) => command('unpublish', kind),
    republish: async (kind) => {
      await command('republish', kind);
      const sid = kind === 'audio' ? state.audioTrackSid : state.videoTrackSid;
      if (sid === undefined) throw new RtcBenchError(`${options.identity}: republished ${kind} has no sid`);
      return sid;
    },
    stats: () => stats,
    stop,
  };
}

async function waitForReady(
  child: ChildProcess,
  identity: string,
): Promise<Extract<PublisherMessage, { type: 'ready' }>> {
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new RtcBenchError(`${identity}: no publisher after 30 s`)), startTimeoutMs);
      child.on('message', (message: PublisherMessage) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(message);
        } else if (message.type === 'failed') {
          clearTimeout(timer);
          reject(new RtcBenchError(`${identity}: ${message.error}`));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new RtcBenchError(`${identity}: the publisher process exited (${String(code ?? signal)})`));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}
