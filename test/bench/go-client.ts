import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Path of the Go SDK client that scripts/setup.sh builds (named by a hash of its sources). */
export function goClientBinary(): string {
  const fromEnv = process.env['EGRESS_GO_CLIENT_BIN'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(join('test/go-client', f)));
  const cache = process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  const dir = process.env['UE_BIN_DIR'] ?? join(cache, 'universal-egress', 'bin');
  return join(dir, `egress-go-client-${hash.digest('hex').slice(0, 12)}`);
}

export interface GoClientResult {
  readonly ok: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the Go SDK client (`lk`'s EgressClient, protobuf bodies) with `args`. */
export async function runGoClient(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<GoClientResult> {
  const bin = goClientBinary();
  if (!existsSync(bin)) throw new Error(`Go SDK client not built at ${bin}: run scripts/setup.sh`);
  return new Promise((resolve) => {
    execFile(bin, [...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ ok: err === null, stdout, stderr });
    });
  });
}
