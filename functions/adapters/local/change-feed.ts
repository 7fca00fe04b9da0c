import { readFile, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { recordFromJson, type EgressRecord, type EgressRecordJson } from '#domain/egress-record.ts';
import type { Logger } from '#shared/logger.ts';
import { isErrno } from './file-store.ts';

/** Handles one record change (old image, new image); the local stand-in for a DynamoDB stream consumer. */
export type ChangeHandler = (old: EgressRecord | undefined, next: EgressRecord) => Promise<void>;

interface ChangeFile {
  readonly old?: EgressRecordJson;
  readonly new: EgressRecordJson;
}

/**
 * Tails the change files the {@link FileEgressStore} writes and hands each to `handler`, in version order per
 * egress and concurrently across egresses (so one slow webhook receiver delays no other egress). A change
 * file is deleted only after its handler finished, so changes survive a restart (at-least-once).
 */
export class LocalChangeFeed {
  private timer: NodeJS.Timeout | undefined;
  private readonly scheduled = new Set<string>();
  private readonly chains = new Map<string, Promise<void>>();
  private polling: Promise<void> | undefined;

  constructor(
    private readonly changesDir: string,
    private readonly handler: ChangeHandler,
    private readonly logger: Logger,
    private readonly pollMs = 100,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      this.polling ??= this.poll().finally(() => {
        this.polling = undefined;
      });
    }, this.pollMs);
  }

  /** Stops polling and waits for the changes already handed out. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.polling;
    await Promise.all(this.chains.values());
  }

  /** Waits until every change written so far has been handled (for tests and shutdown). */
  async drain(): Promise<void> {
    await this.poll();
    await Promise.all(this.chains.values());
  }

  private async poll(): Promise<void> {
    const names = (await readdir(this.changesDir)).filter((n) => !this.scheduled.has(n)).sort();
    for (const name of names) {
      const egressId = name.split('-')[1] ?? '';
      this.scheduled.add(name);
      const previous = this.chains.get(egressId) ?? Promise.resolve();
      const next = previous.then(() => this.handle(name));
      this.chains.set(egressId, next);
      void next.finally(() => {
        if (this.chains.get(egressId) === next) this.chains.delete(egressId);
      });
    }
  }

  private async handle(name: string): Promise<void> {
    const path = join(this.changesDir, name);
    let change: ChangeFile;
    try {
      change = JSON.parse(await readFile(path, 'utf8')) as ChangeFile;
    } catch (err) {
      // ENOENT: a listing taken just before the file was handled and deleted; anything else cannot be parsed
      // now or later, so it is dropped with a log line rather than retried forever.
      if (!isErrno(err, 'ENOENT')) {
        this.logger.error('unreadable change file dropped', { change: name, err });
        await unlink(path).catch(() => undefined);
      }
      this.scheduled.delete(name);
      return;
    }
    try {
      await this.handler(change.old === undefined ? undefined : recordFromJson(change.old), recordFromJson(change.new));
      await unlink(path);
      this.scheduled.delete(name);
    } catch (err) {
      this.logger.error('change handler failed; retrying in 5 s', { change: name, err });
      setTimeout(() => this.scheduled.delete(name), 5_000).unref();
    }
  }
}
