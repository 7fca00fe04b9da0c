/**
 * A synthetic publisher in a process of its own (see publisher-process.ts): its media loops keep their
 * clock however busy the test process is. Options come as JSON in argv[2]; commands and replies go over
 * the IPC channel; the process leaves the room and exits when told to stop or when its parent is gone.
 */
import { setPriority } from 'node:os';
import type { PacerStats } from './pacer.ts';
import type { MediaKind, SyntheticPublisherOptions } from './synthetic-publisher.ts';
import { startSyntheticPublisher } from './synthetic-publisher.ts';

/** A command from the parent. */
export interface PublisherCommand {
  readonly id: number;
  readonly op: 'mute' | 'unmute' | 'unpublish' | 'republish' | 'stop';
  readonly kind?: MediaKind;
}

/** What the child tells its parent. */
export type PublisherMessage =
  | ({ readonly type: 'ready'; readonly startedAt: number; readonly fps: number | undefined } & Sids)
  | { readonly type: 'failed'; readonly error: string }
  | ({ readonly type: 'reply'; readonly id: number; readonly error?: string } & Sids)
  | { readonly type: 'stats'; readonly audio?: PacerStats; readonly video?: PacerStats };

interface Sids {
  readonly audioTrackSid: string | undefined;
  readonly videoTrackSid: string | undefined;
}

const send = (message: PublisherMessage): void => {
  process.send?.(message);
};

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as SyntheticPublisherOptions;
  let publisher;
  try {
    publisher = await startSyntheticPublisher(options);
  } catch (err) {
    send({ type: 'failed', error: err instanceof Error ? `${err.message}: ${String(err.cause)}` : String(err) });
    process.exit(1);
  }
  // The pacing loops' thread only (on Linux a thread's own priority; the encoders' threads, started with
  // the room, keep theirs): the participant stands for a client on another machine, so its clock must hold
  // on a starved host, without taking the CPU the system under test needs. Root only; else as it is.
  try {
    setPriority(-10);
  } catch {
    // Not permitted: the default priority.
  }
  const sids = (): Sids => ({ audioTrackSid: publisher.audioTrackSid, videoTrackSid: publisher.videoTrackSid });
  const stats = (): void => {
    const { audio, video } = publisher.stats();
    // Errors do not cross the channel; their text does.
    const plain = (s: PacerStats | undefined): PacerStats | undefined =>
      s === undefined
        ? undefined
        : {
            ...s,
            error: s.error instanceof Error ? s.error.message : s.error === undefined ? undefined : 'pacer failed',
          };
    send({ type: 'stats', audio: plain(audio), video: plain(video) });
  };
  const timer = setInterval(stats, 250);
  const exit = async (): Promise<void> => {
    clearInterval(timer);
    await publisher.stop();
    process.exit(0);
  };
  process.on('disconnect', () => void exit());
  process.on('message', (command: PublisherCommand) => {
    void (async () => {
      try {
        if (command.op === 'stop') {
          await exit();
          return;
        }
        const kind = command.kind ?? 'audio';
        if (command.op === 'mute') await publisher.mute(kind);
        else if (command.op === 'unmute') await publisher.unmute(kind);
        else if (command.op === 'unpublish') await publisher.unpublish(kind);
        else await publisher.republish(kind);
        send({ type: 'reply', id: command.id, ...sids() });
      } catch (err) {
        send({ type: 'reply', id: command.id, error: String(err), ...sids() });
      }
    })();
  });
  send({ type: 'ready', startedAt: publisher.startedAt, fps: publisher.fps, ...sids() });
}

void main();
