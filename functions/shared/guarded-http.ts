import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { assertAllowedDestination, isBlockedAddress } from '#domain/network-guard.ts';

/** A DNS lookup that refuses blocked addresses, so a host name cannot smuggle a request to them. */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err !== null) {
      callback(err, '', 0);
      return;
    }
    const allowed = addresses.filter((a) => !isBlockedAddress(a.address));
    const first = allowed[0];
    if (first === undefined) {
      callback(Object.assign(new Error(`${hostname} resolves only to blocked addresses`), { code: 'EBLOCKED' }), '', 0);
      return;
    }
    if (options.all === true) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
    else callback(null, first.address, first.family);
  });
};

export interface GuardedResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** POSTs `body` to `url` through the guarded lookup; rejects blocked destinations before connecting. */
export async function guardedPost(
  url: string,
  body: string,
  headers: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<GuardedResponse> {
  const target = new URL(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:')
    throw new Error(`unsupported scheme ${target.protocol}`);
  assertAllowedDestination(target, 'destination');
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': Buffer.byteLength(body) },
        lookup: guardedLookup,
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
