import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { EgressError } from '#domain/errors.ts';
import { assertAllowedDestination, isBlockedAddress } from '#domain/network-guard.ts';
import { rtmpUrlPattern } from '#domain/request/redact.ts';
import type { StreamUrl } from '#domain/request/stream-url.ts';

/** The stream protocols an encoded (MPEG-TS) stream output publishes with. */
export type StreamSinkProtocol = 'rtmp' | 'srt';

/** Resolves a host name to every address it has (the system resolver by default). */
export type HostResolver = (host: string) => Promise<readonly string[]>;

/** The system resolver (getaddrinfo), every address of every family. */
export const systemResolver: HostResolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** librtmp's ` live=1` suffix, which LiveKit's URL format allows; ffmpeg's RTMP client would send it on. */
const liveSuffix = / live=1$/;

/** The URL ffmpeg publishes to. */
export function ffmpegTarget(url: string): string {
  return url.replace(liveSuffix, '');
}

/**
 * Refuses a destination the task must never reach, before any connection: a blocked IP literal or metadata
 * host name at once (no lookup), and a host name when any of its addresses is blocked — all of them, not
 * just the first, since ffmpeg may try each. ffmpeg resolves the name again when it connects; the window
 * between the two lookups is the one residual risk (a DNS answer changed in between), accepted because
 * RTMPS and SRT need the host name itself (TLS server name, vhost-based ingests).
 */
export async function assertStreamDestination(
  target: StreamUrl,
  resolve: HostResolver = systemResolver,
): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(ffmpegTarget(target.url));
  } catch (err) {
    throw new EgressError('invalid_argument', `invalid stream url ${target.redactedUrl}`, { cause: err });
  }
  assertAllowedDestination(parsed, 'stream');
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) return;
  let addresses: readonly string[];
  try {
    addresses = await resolve(host);
  } catch (err) {
    throw new EgressError('unavailable', `stream host ${host} cannot be resolved`, {
      cause: err,
      fault: 'destination',
    });
  }
  if (addresses.length === 0 || addresses.some((address) => isBlockedAddress(address))) {
    throw new EgressError(
      'invalid_argument',
      `stream ${parsed.protocol}//${parsed.host} is not an allowed destination`,
    );
  }
}

/**
 * ffmpeg arguments of one publish: MPEG-TS from stdin, copied (no re-encode) into FLV for RTMP(S) or into
 * MPEG-TS for SRT. Progress (`total_size`, bytes handed to the connection) goes to stdout every 0.5 s.
 * Input probing is cut to 1 s: the first chunk starts at a keyframe with PAT/PMT, so that is enough, and
 * the default 5 s would delay every publish and reconnect by 5 s.
 * No `-bsf:a aac_adtstoasc`: ffmpeg 5.1's FLV muxer inserts it by itself for ADTS AAC (checked against
 * nginx-rtmp: the recording probes as AAC LC 48 kHz stereo).
 */
export function streamSinkArgs(protocol: StreamSinkProtocol, url: string): string[] {
  const args = ['-hide_banner', '-nostats', '-loglevel', 'warning', '-progress', 'pipe:1', '-stats_period', '0.5'];
  args.push('-analyzeduration', '1000000', '-f', 'mpegts', '-i', 'pipe:0', '-c', 'copy');
  if (protocol === 'rtmp') args.push('-flvflags', 'no_duration_filesize', '-f', 'flv', ffmpegTarget(url));
  else args.push('-f', 'mpegts', url);
  return args;
}

/** Shortest secret part worth masking on its own: shorter ones would garble unrelated text. */
const minSecretPart = 4;

/**
 * The secret parts of a stream URL: the whole URL, an RTMP stream key, every query value (SRT `streamid`,
 * `passphrase`) and a user-info password.
 */
export function secretParts(url: string): string[] {
  const parts = new Set<string>([url, ffmpegTarget(url)]);
  const key = rtmpUrlPattern.exec(url)?.[4];
  if (key !== undefined) parts.add(key);
  const query = url.indexOf('?');
  if (query >= 0) {
    for (const param of url.slice(query + 1).split('&')) {
      const value = param.slice(param.indexOf('=') + 1);
      if (param.includes('=')) parts.add(value);
    }
  }
  const password = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@:]*:([^/?#@]+)@/.exec(url)?.[1];
  if (password !== undefined) parts.add(password);
  return [...parts].filter((part) => part.length >= minSecretPart).sort((a, b) => b.length - a.length);
}

/** A function that replaces the URL with its redacted form and every other secret part with `***`. */
export function urlRedactor(target: StreamUrl): (text: string) => string {
  const parts = secretParts(target.url);
  return (text) => {
    let out = text;
    for (const part of parts) {
      const replacement = part === target.url || part === ffmpegTarget(target.url) ? target.redactedUrl : '***';
      out = out.split(part).join(replacement);
    }
    return out;
  };
}
