import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EgressError } from '#domain/errors.ts';
import { isEgressId } from '#domain/egress-id.ts';
import { recordFromJson, recordToJson, type EgressRecord, type EgressRecordJson } from '#domain/egress-record.ts';
import { isActive } from '#domain/status.ts';
import type { EgressQuery, EgressStore } from '#ports/egress-store.ts';

const versionsKept = 3;

/**
 * The embedded, persistent store of local mode: one folder per egress holding its latest versions as
 * `<version>.json`, shared safely by the local server and its task processes.
 *
 * Compare-and-swap without locks: a new version is written to a temporary file and then hard-linked to its
 * final name `<expectedVersion + 1>.json`. `link` fails with EEXIST when another writer got there first, so
 * of two racing writers exactly one wins, across processes, and a crash never leaves a half-written version.
 * Every successful write also drops a change file (old and new image) in `changes/`, the local stand-in for
 * the DynamoDB stream that drives webhooks.
 */
export class FileEgressStore implements EgressStore {
  private readonly recordsDir: string;
  readonly changesDir: string;
  private readonly tmpDir: string;

  constructor(dataDir: string) {
    this.recordsDir = join(dataDir, 'egress');
    this.changesDir = join(dataDir, 'changes');
    this.tmpDir = join(dataDir, 'tmp');
  }

  /** Creates the folders; call once before use. */
  async init(): Promise<this> {
    await Promise.all([this.recordsDir, this.changesDir, this.tmpDir].map((d) => mkdir(d, { recursive: true })));
    return this;
  }

  async create(record: EgressRecord): Promise<void> {
    this.checkId(record.egressId);
    try {
      await mkdir(join(this.recordsDir, record.egressId));
    } catch (err) {
      if (isErrno(err, 'EEXIST')) throw new EgressError('already_exists', `egress ${record.egressId} already exists`);
      throw err;
    }
    if (!(await this.writeVersion(record, undefined))) {
      throw new EgressError('already_exists', `egress ${record.egressId} already exists`);
    }
  }

  async get(egressId: string): Promise<EgressRecord | undefined> {
    if (!isEgressId(egressId)) return undefined;
    // A version can be pruned between listing and reading it; a fresh listing then finds a newer one.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const versions = await this.versions(egressId);
      const latest = versions.at(-1);
      if (latest === undefined) return undefined;
      try {
        return await this.readVersion(egressId, latest);
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) throw err;
      }
    }
    throw new EgressError('unavailable', `egress ${egressId} changes too fast to read`);
  }

  async replace(next: EgressRecord, expectedVersion: number): Promise<boolean> {
    this.checkId(next.egressId);
    if (next.version !== expectedVersion + 1) {
      throw new Error(`replace of ${next.egressId}: version ${next.version} does not follow ${expectedVersion}`);
    }
    const old = await this.readVersion(next.egressId, expectedVersion).catch((err: unknown) => {
      if (isErrno(err, 'ENOENT')) return undefined;
      throw err;
    });
    if (old === undefined) return false;
    return this.writeVersion(next, old);
  }

  async list(query: EgressQuery): Promise<EgressRecord[]> {
    let ids: string[];
    if (query.egressId !== undefined) ids = [query.egressId];
    else ids = await readdir(this.recordsDir);
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records
      .filter((r): r is EgressRecord => r !== undefined)
      .filter((r) => query.roomName === undefined || query.roomName === '' || r.roomName === query.roomName)
      .filter((r) => query.active !== true || isActive(r.info.status))
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  private async writeVersion(record: EgressRecord, old: EgressRecord | undefined): Promise<boolean> {
    const dir = join(this.recordsDir, record.egressId);
    const tmp = join(this.tmpDir, `${record.egressId}.${randomBytes(6).toString('hex')}`);
    await writeFile(tmp, JSON.stringify(recordToJson(record)));
    try {
      await link(tmp, join(dir, versionFile(record.version)));
    } catch (err) {
      if (isErrno(err, 'EEXIST')) return false;
      throw err;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    await this.writeChange(old, record);
    await this.prune(record.egressId, record.version);
    return true;
  }

  private async writeChange(old: EgressRecord | undefined, next: EgressRecord): Promise<void> {
    const name = `${String(Date.now()).padStart(15, '0')}-${next.egressId}-${versionFile(next.version)}`;
    const tmp = join(this.tmpDir, `change.${randomBytes(6).toString('hex')}`);
    const body = { old: old === undefined ? undefined : recordToJson(old), new: recordToJson(next) };
    await writeFile(tmp, JSON.stringify(body));
    await rename(tmp, join(this.changesDir, name));
  }

  private async prune(egressId: string, latest: number): Promise<void> {
    const stale = (await this.versions(egressId)).filter((v) => v <= latest - versionsKept);
    await Promise.all(stale.map((v) => unlink(join(this.recordsDir, egressId, versionFile(v))).catch(() => undefined)));
  }

  private async versions(egressId: string): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(join(this.recordsDir, egressId));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return [];
      throw err;
    }
    return names
      .filter((n) => n.endsWith('.json'))
      .map((n) => Number.parseInt(n, 10))
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
  }

  private async readVersion(egressId: string, version: number): Promise<EgressRecord> {
    const text = await readFile(join(this.recordsDir, egressId, versionFile(version)), 'utf8');
    return recordFromJson(JSON.parse(text) as EgressRecordJson);
  }

  private checkId(egressId: string): void {
    if (!isEgressId(egressId)) throw new EgressError('invalid_argument', `invalid egress id ${egressId}`);
  }
}

function versionFile(version: number): string {
  return `${String(version).padStart(10, '0')}.json`;
}

/** Whether `err` is a Node system error with errno code `code`. */
export function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && 'code' in err && (err as NodeJS.ErrnoException).code === code;
}
