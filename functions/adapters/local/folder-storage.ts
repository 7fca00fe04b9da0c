import { open, mkdir, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { EgressError } from '#domain/errors.ts';
import type { HeaderPatch, ObjectOptions, ObjectStorage, ObjectUpload, StoredObject } from '#ports/object-storage.ts';

/**
 * Outputs in a local folder (local mode). Uploads are appended to the file as chunks arrive, so a killed task
 * leaves every byte it wrote. Metadata is kept beside each object as `<file>.metadata.json`.
 */
export class FolderStorage implements ObjectStorage {
  constructor(private readonly root: string) {}

  async openUpload(key: string, options: ObjectOptions): Promise<ObjectUpload> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await this.writeMetadata(path, options);
    const handle = await open(path, 'w');
    return new FolderUpload(handle, key, path);
  }

  async putObject(key: string, body: Uint8Array | string, options: ObjectOptions): Promise<StoredObject> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    await this.writeMetadata(path, options);
    await writeFile(path, body);
    return { key, location: path, size: typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength };
  }

  private pathOf(key: string): string {
    const root = resolve(this.root);
    const path = resolve(join(root, key));
    // Keys are cleaned by the filename rules; this is the last guard against leaving the folder.
    if (!path.startsWith(root + sep))
      throw new EgressError('invalid_argument', `output path ${key} leaves the storage folder`);
    return path;
  }

  private async writeMetadata(path: string, options: ObjectOptions): Promise<void> {
    await writeFile(
      `${path}.metadata.json`,
      JSON.stringify({ contentType: options.contentType, metadata: options.metadata }),
    );
  }
}

class FolderUpload implements ObjectUpload {
  private size = 0;
  private closed = false;

  constructor(
    private readonly handle: FileHandle,
    private readonly key: string,
    private readonly path: string,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    if (this.closed) throw new Error(`upload of ${this.key} is closed`);
    await this.handle.write(chunk);
    this.size += chunk.byteLength;
  }

  async complete(headerPatch?: HeaderPatch): Promise<StoredObject> {
    if (headerPatch !== undefined && !this.closed && headerPatch.offset + headerPatch.bytes.byteLength <= this.size) {
      await this.handle.write(headerPatch.bytes, 0, headerPatch.bytes.byteLength, headerPatch.offset);
    }
    await this.close();
    return { key: this.key, location: this.path, size: this.size };
  }

  async abort(): Promise<void> {
    await this.close();
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}
