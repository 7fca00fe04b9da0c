import {
  AliOSSUpload,
  AzureBlobUpload,
  GCPUpload,
  ProxyConfig,
  S3Upload,
  StreamOutput,
  TrackEgressRequest,
} from '@livekit/protocol';
import type { Message } from '@bufbuild/protobuf';
import { cloneRequest } from './egress-request.ts';
import type { EgressRequest } from './egress-request.ts';

/**
 * Secret redaction for what the public `EgressInfo` shows (LiveKit's `egress/redact.go` and
 * `utils/redact.go`): upload credentials become `{access_key}`-style names, stream keys `{abc...xyz}`,
 * URL query values `{...}`. Beyond LiveKit, proxy passwords and URL user-info passwords are redacted too,
 * and every upload config and stream URL is redacted wherever it sits (LiveKit skips lists longer than one).
 */

/** `rtmp(s)://{host}(/{path})/{app}/{stream_key}( live=1)` — the stream key is group 4. */
export const rtmpUrlPattern = /^(rtmps?:\/\/)(.*\/)(.*\/)(\S*)( live=1)?$/;

/** `mux://<key>` and `twitch://<key>` carry the stream key as the whole authority. */
const shorthandPattern = /^(mux|twitch):\/\/(\S+)$/;

/** `scheme://user:password@` — the password is group 2. */
const userInfoPattern = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#@:]*:)([^/?#@]+)@/;

/**
 * `{abc...xyz}`: the first and last three characters of a key (two for keys under 9 characters, one
 * under 6, none under 3), so a user can tell keys apart without the key being readable.
 */
export function redactIdentifier(identifier: string): string {
  for (const keep of [3, 2, 1]) {
    if (identifier.length >= keep * 3) {
      return `{${identifier.slice(0, keep)}...${identifier.slice(identifier.length - keep)}}`;
    }
  }
  return '{...}';
}

/** Replaces every non-empty query value with `{...}`, keeping the parameter names. */
export function redactQueryValues(url: string): string {
  const at = url.indexOf('?');
  if (at < 0 || at === url.length - 1) return url;
  const params = url
    .slice(at + 1)
    .split('&')
    .map((param) => {
      const eq = param.indexOf('=');
      return eq < 0 || eq === param.length - 1 ? param : `${param.slice(0, eq)}={...}`;
    });
  return `${url.slice(0, at)}?${params.join('&')}`;
}

/**
 * A URL safe to show: the stream key of an RTMP or `mux://`/`twitch://` URL as `{abc...xyz}`, otherwise
 * every query value as `{...}` (SRT `streamid`/`passphrase`, WebSocket tokens); a user-info password always.
 */
export function redactUrl(url: string): string {
  const withoutPassword = url.replace(userInfoPattern, (_m, head: string) => `${head}{...}@`);
  const shorthand = shorthandPattern.exec(withoutPassword);
  if (shorthand) return `${shorthand[1] ?? ''}://${redactIdentifier(shorthand[2] ?? '')}`;
  const rtmp = rtmpUrlPattern.exec(withoutPassword);
  if (rtmp) {
    const [, scheme = '', path = '', app = '', key = '', live = ''] = rtmp;
    return `${scheme}${path}${app}${redactIdentifier(key)}${live}`;
  }
  return redactQueryValues(withoutPassword);
}

/** A deep copy of `request` with every secret replaced; the input is never changed. */
export function redactRequest(request: EgressRequest): EgressRequest {
  const copy = cloneRequest(request);
  visit(copy.value);
  return copy;
}

function visit(message: Message): void {
  redactMessage(message);
  for (const child of childMessages(message)) visit(child);
}

/** Replaces a non-empty secret with its placeholder; an empty one stays empty, as in LiveKit. */
function hide(value: string, placeholder: string): string {
  return value === '' ? '' : placeholder;
}

function redactMessage(message: Message): void {
  if (message instanceof S3Upload) {
    message.accessKey = hide(message.accessKey, '{access_key}');
    message.secret = hide(message.secret, '{secret}');
    message.sessionToken = hide(message.sessionToken, '{session_token}');
    message.assumeRoleExternalId = hide(message.assumeRoleExternalId, '{external_id}');
  } else if (message instanceof GCPUpload) {
    message.credentials = hide(message.credentials, '{credentials}');
  } else if (message instanceof AzureBlobUpload) {
    message.accountName = hide(message.accountName, '{account_name}');
    message.accountKey = hide(message.accountKey, '{account_key}');
  } else if (message instanceof AliOSSUpload) {
    message.accessKey = hide(message.accessKey, '{access_key}');
    message.secret = hide(message.secret, '{secret}');
  } else if (message instanceof ProxyConfig) {
    message.password = hide(message.password, '{password}');
    message.url = redactUrl(message.url);
  } else if (message instanceof StreamOutput) {
    message.urls = message.urls.map(redactUrl);
  } else if (message instanceof TrackEgressRequest && message.output.case === 'websocketUrl') {
    message.output = { case: 'websocketUrl', value: redactUrl(message.output.value) };
  }
}

/**
 * Every message nested one level below `message`, found by reflection so that an upload config is
 * redacted wherever the protocol puts it (oneofs, lists, maps).
 */
function childMessages(message: Message): Message[] {
  const fields = message as unknown as Record<string, unknown>;
  const children: Message[] = [];
  for (const field of message.getType().fields.list()) {
    if (field.kind !== 'message' && !(field.kind === 'map' && field.V.kind === 'message')) continue;
    let value: unknown;
    if (field.oneof === undefined) {
      value = fields[field.localName];
    } else {
      const group = fields[field.oneof.localName] as { case?: string; value?: unknown };
      value = group.case === field.localName ? group.value : undefined;
    }
    collect(value, children);
  }
  return children;
}

function collect(value: unknown, into: Message[]): void {
  if (value === undefined || value === null || typeof value !== 'object') return;
  if (isMessage(value)) {
    into.push(value);
    return;
  }
  for (const item of Array.isArray(value) ? (value as unknown[]) : Object.values(value)) collect(item, into);
}

function isMessage(value: object): value is Message {
  return typeof (value as { getType?: unknown }).getType === 'function';
}
