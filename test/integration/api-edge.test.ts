import { createHmac, randomBytes } from 'node:crypto';
import { ListEgressRequest, ListEgressResponse } from '@livekit/protocol';
import { AccessToken } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture, type LocalFixture } from '#bench/local-fixture.ts';

describe('the Twirp edge: auth and bad input', () => {
  let livekit: LiveKitServer;
  let local: LocalFixture;

  beforeAll(async () => {
    livekit = await startLiveKitServer();
    local = await startLocalFixture(livekit);
  });

  afterAll(async () => {
    await local?.stop();
    await livekit?.stop();
  });

  const token = async (opts: { key?: string; secret?: string; ttl?: number | string; record?: boolean } = {}) => {
    const at = new AccessToken(opts.key ?? livekit.apiKey, opts.secret ?? livekit.apiSecret, {
      ttl: opts.ttl ?? '10m',
    });
    at.addGrant(opts.record === false ? { roomAdmin: true, room: 'x' } : { roomRecord: true });
    return at.toJwt();
  };

  const call = async (
    method: string,
    body: BodyInit,
    headers: Record<string, string> = {},
    httpMethod = 'POST',
  ): Promise<{ status: number; contentType: string | null; json: { code?: string; msg?: string } }> => {
    const auth = headers['authorization'] ?? `Bearer ${await token()}`;
    const res = await fetch(`${local.system.url}/twirp/livekit.Egress/${method}`, {
      method: httpMethod,
      headers: { 'content-type': 'application/json', ...headers, authorization: auth },
      ...(httpMethod === 'POST' ? { body } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      contentType: res.headers.get('content-type'),
      json: (text === '' ? {} : JSON.parse(text)) as { code?: string; msg?: string },
    };
  };

  /** A correctly signed token whose `exp` passed a minute ago (beyond any clock tolerance). */
  const expired = (): string => {
    const now = Math.floor(Date.now() / 1000);
    const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ iss: livekit.apiKey, sub: 'x', nbf: now - 120, exp: now - 60, video: { roomRecord: true } })}`;
    return `${body}.${createHmac('sha256', livekit.apiSecret).update(body).digest('base64url')}`;
  };

  it('rejects every bad token: none, garbage, wrong secret, wrong key, expired, no roomRecord', async () => {
    const cases: [string, string, number, string][] = [
      ['no token', '', 401, 'unauthenticated'],
      ['not bearer', 'Basic abc', 401, 'unauthenticated'],
      ['garbage', 'Bearer not-a-jwt', 401, 'unauthenticated'],
      ['wrong secret', `Bearer ${await token({ secret: 'x'.repeat(40) })}`, 401, 'unauthenticated'],
      ['wrong key', `Bearer ${await token({ key: 'APIother' })}`, 401, 'unauthenticated'],
      ['expired', `Bearer ${expired()}`, 401, 'unauthenticated'],
      ['no roomRecord', `Bearer ${await token({ record: false })}`, 403, 'permission_denied'],
    ];
    for (const [name, authorization, status, code] of cases) {
      const res = await call('ListEgress', '{}', { authorization });
      expect([name, res.status, res.json.code], name).toEqual([name, status, code]);
      expect(res.contentType).toBe('application/json');
      expect(res.json.msg, name).toBeTruthy();
      expect(res.json.msg).not.toContain(livekit.apiSecret);
    }
    expect((await call('ListEgress', '{}', { authorization: `Bearer ${expired()}` })).json.msg).toBe(
      'invalid access token: token expired',
    );
  });

  it('answers bad bodies, routes and methods with 4xx and keeps serving', async () => {
    const seeded = Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919 + 13) % 256));
    const cases: [string, () => ReturnType<typeof call>, number, string][] = [
      ['random bytes as json', () => call('StartTrackEgress', randomBytes(512)), 400, 'malformed'],
      [
        'random bytes as protobuf',
        () => call('StartTrackEgress', seeded, { 'content-type': 'application/protobuf' }),
        400,
        '',
      ],
      ['empty json body', () => call('StartTrackEgress', ''), 400, 'invalid_argument'],
      [
        'empty protobuf body',
        () => call('StartTrackEgress', new Uint8Array(), { 'content-type': 'application/protobuf' }),
        400,
        'invalid_argument',
      ],
      ['10 MB body', () => call('StartTrackEgress', Buffer.alloc(10 * 1024 * 1024, 0x20)), 400, 'malformed'],
      ['json array', () => call('StartTrackEgress', '[1,2]'), 400, 'malformed'],
      ['unknown method', () => call('StartNothing', '{}'), 404, 'bad_route'],
      ['prototype method name', () => call('constructor', '{}'), 404, 'bad_route'],
      ['GET', () => call('ListEgress', '', {}, 'GET'), 404, 'bad_route'],
      ['text/plain', () => call('ListEgress', '{}', { 'content-type': 'text/plain' }), 404, 'bad_route'],
    ];
    for (const [name, run, status, code] of cases) {
      const res = await run();
      expect(res.status, name).toBe(status);
      if (code !== '') expect(res.json.code, name).toBe(code);
      expect(res.contentType, name).toBe('application/json');
    }
    const ok = await call('ListEgress', '{}');
    expect(ok.status).toBe(200);
  });

  it('answers protobuf requests in protobuf', async () => {
    const res = await fetch(`${local.system.url}/twirp/livekit.Egress/ListEgress`, {
      method: 'POST',
      headers: { 'content-type': 'application/protobuf', authorization: `Bearer ${await token()}` },
      body: Buffer.from(new ListEgressRequest({ active: true }).toBinary()),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/protobuf');
    expect(ListEgressResponse.fromBinary(new Uint8Array(await res.arrayBuffer())).items).toEqual([]);
  });
});
