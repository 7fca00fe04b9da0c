import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '#shared/logger.ts';
import { builtInTemplatesRoot, startTemplateServer, templatePageUrl, type TemplateServer } from './template-server.ts';

interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** A request with the path sent exactly as given (fetch would normalise `..` away before sending it). */
function rawRequest(base: string, path: string, method = 'GET'): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.once('timeout', () => req.destroy(new Error(`request ${path} timed out`)));
    req.once('error', reject);
    req.end();
  });
}

describe('template server', () => {
  let dir: string;
  let root: string;
  let server: TemplateServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ue-templates-'));
    root = join(dir, 'site');
    await mkdir(join(root, 'assets'), { recursive: true });
    await writeFile(join(root, 'index.html'), '<!doctype html><title>t</title>');
    await writeFile(join(root, 'assets', 'app.js'), 'console.log(1);');
    await writeFile(join(root, 'assets', 'app.css'), 'body{}');
    await writeFile(join(dir, 'secret.txt'), 'outside the root');
    server = await startTemplateServer({ root, logger: createLogger({ test: 'template-server' }) });
  });

  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves index.html for the root path, with the query ignored and no caching', async () => {
    expect(server.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await rawRequest(server.baseUrl, '/?layout=grid&url=ws%3A%2F%2Fx&token=abc');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toContain('<title>t</title>');
  });

  it('serves assets with their content types, and HEAD without a body', async () => {
    const js = await rawRequest(server.baseUrl, '/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe('console.log(1);');
    const css = await rawRequest(server.baseUrl, '/assets/app.css', 'HEAD');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['content-length']).toBe('6');
    expect(css.body).toBe('');
  });

  it('rejects a missing file, a folder and other methods', async () => {
    expect((await rawRequest(server.baseUrl, '/nope.js')).status).toBe(404);
    expect((await rawRequest(server.baseUrl, '/assets')).status).toBe(404);
    const post = await rawRequest(server.baseUrl, '/index.html', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
  });

  it('rejects paths that leave the root', async () => {
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
      const res = await rawRequest(server.baseUrl, path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain('outside the root');
    }
    for (const path of [`/${join(dir, 'secret.txt')}`, '/%E0%A4%A', '/a%00b', '/..%5csecret.txt', 'secret.txt']) {
      const res = await rawRequest(server.baseUrl, path);
      expect([400, 404], path).toContain(res.status);
      expect(res.body, path).not.toContain('outside the root');
    }
  });

  it('closes idempotently and stops answering', async () => {
    const other = await startTemplateServer({ root, logger: createLogger() });
    await Promise.all([other.close(), other.close()]);
    await expect(rawRequest(other.baseUrl, '/')).rejects.toThrow();
  });
});

describe('templatePageUrl', () => {
  const params = { livekitUrl: 'wss://lk.example.com', token: 'a.b+c/d=', layout: 'speaker-light' };

  it('sets layout, url and token on the built-in base', () => {
    const page = new URL(templatePageUrl('http://127.0.0.1:4000/', params));
    expect(page.origin + page.pathname).toBe('http://127.0.0.1:4000/');
    expect(page.searchParams.get('layout')).toBe('speaker-light');
    expect(page.searchParams.get('url')).toBe('wss://lk.example.com');
    expect(page.searchParams.get('token')).toBe('a.b+c/d=');
  });

  it("keeps a custom base's own query and path, and replaces the three it sets", () => {
    const base = 'https://my.app/rec/index.html?theme=blue&layout=old&token=stale&token=again#frag';
    const page = new URL(templatePageUrl(base, params));
    expect(page.pathname).toBe('/rec/index.html');
    expect(page.searchParams.get('theme')).toBe('blue');
    expect(page.searchParams.getAll('layout')).toEqual(['speaker-light']);
    expect(page.searchParams.getAll('token')).toEqual(['a.b+c/d=']);
    expect(page.hash).toBe('#frag');
  });

  it('rejects a base that is not a URL', () => {
    expect(() => templatePageUrl('not a url', params)).toThrow();
  });
});

describe('builtInTemplatesRoot', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('finds dist/templates of the repository when running from source', () => {
    // The test run's global setup builds dist/ first.
    const root = builtInTemplatesRoot();
    expect(root.endsWith(join('dist', 'templates'))).toBe(true);
    expect(root.startsWith(join(import.meta.dirname, '..', '..', '..'))).toBe(true);
  });

  it('prefers EGRESS_TEMPLATES_DIR', () => {
    vi.stubEnv('EGRESS_TEMPLATES_DIR', '/opt/templates');
    expect(builtInTemplatesRoot()).toBe('/opt/templates');
  });
});
