import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, parse, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EgressError } from '#domain/errors.ts';
import type { Logger } from '#shared/logger.ts';

/** The static server the room composite page is loaded from, bound to 127.0.0.1. */
export interface TemplateServer {
  /** `http://127.0.0.1:<port>/` — the page is `index.html` under it. */
  readonly baseUrl: string;
  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void>;
}

/** What {@link startTemplateServer} serves. */
export interface TemplateServerOptions {
  /** Folder whose files are served; nothing outside it is reachable. */
  readonly root: string;
  readonly logger: Logger;
}

/** The query parameters LiveKit sets on a template page. */
export interface TemplatePageParams {
  /** The LiveKit server's `ws(s)://` URL. */
  readonly livekitUrl: string;
  /** The recorder's access token. */
  readonly token: string;
  /** The layout name, e.g. `grid`, `speaker-light`. */
  readonly layout: string;
}

const contentTypes: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * The page URL LiveKit egress builds: the base URL's own query parameters are kept, and `layout`, `url`
 * and `token` are set (replacing any the base already has). Used for the built-in and custom templates.
 */
export function templatePageUrl(base: string, params: TemplatePageParams): string {
  const url = new URL(base);
  url.searchParams.set('layout', params.layout);
  url.searchParams.set('url', params.livekitUrl);
  url.searchParams.set('token', params.token);
  return url.toString();
}

/**
 * Where the built-in templates are: `EGRESS_TEMPLATES_DIR`, or `dist/templates` in the first ancestor of
 * this module that has one — `/app` for the bundle at `/app/dist/task/*.mjs`, the repository root when
 * running from source under `task-image/runtime/sources/`.
 */
export function builtInTemplatesRoot(): string {
  const fromEnv = process.env['EGRESS_TEMPLATES_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  const here = dirname(fileURLToPath(import.meta.url));
  const { root } = parse(here);
  for (let dir = here; ; dir = dirname(dir)) {
    const candidate = join(dir, 'dist', 'templates');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    if (dir === root) break;
  }
  throw new EgressError('internal', `built-in templates not found above ${here} (run node scripts/build.mjs)`);
}

/** Starts the static server on a random loopback port. */
export async function startTemplateServer(options: TemplateServerOptions): Promise<TemplateServer> {
  const root = resolve(options.root);
  const logger = options.logger.child({ component: 'template-server' });
  const server = createServer((req, res) => {
    serve(root, req, res).catch((err: unknown) => {
      logger.warn('template request failed', { url: req.url, err });
      if (!res.headersSent) respond(res, 500, 'internal error');
      else res.destroy();
    });
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}/`;
  logger.debug('template server listening', { baseUrl, root });
  let closing: Promise<void> | undefined;
  return {
    baseUrl,
    // Once: the session's cleanup and a failed start may both close it.
    close: () => (closing ??= closeServer(server)),
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolveClose) => {
    server.close(() => resolveClose());
    // Chromium keeps connections alive; without this close would wait for their idle timeout.
    server.closeAllConnections();
  });
}

function respond(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra });
  res.end(`${text}\n`);
}

/** The file a request path names under `root`, or the status to answer with when it names none. */
function resolvePath(root: string, rawUrl: string): string | 400 | 404 {
  const pathname = rawUrl.split('?', 1)[0] ?? '/';
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return 400;
  }
  if (!decoded.startsWith('/') || decoded.includes('\0') || decoded.includes('\\')) return 400;
  // Any `..` segment is refused outright rather than normalised: no legitimate template asset needs one.
  if (decoded.split('/').includes('..')) return 404;
  const relative = decoded.endsWith('/') ? `${decoded}index.html` : decoded;
  const file = resolve(root, `.${relative}`);
  if (file !== root && !file.startsWith(root + sep)) return 404;
  return file;
}

async function serve(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    respond(res, 405, 'method not allowed', { allow: 'GET, HEAD' });
    return;
  }
  const file = resolvePath(root, req.url ?? '/');
  if (typeof file === 'number') {
    respond(res, file, file === 400 ? 'bad request' : 'not found');
    return;
  }
  const info = await stat(file).catch(() => undefined);
  if (info === undefined || !info.isFile()) {
    respond(res, 404, 'not found');
    return;
  }
  res.writeHead(200, {
    'content-type': contentTypes[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': info.size,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const handle = await open(file, 'r');
  const stream = handle.createReadStream();
  await new Promise<void>((resolveSend, reject) => {
    stream.once('error', reject);
    res.once('close', () => resolveSend());
    stream.pipe(res);
  }).finally(() => stream.destroy());
}
