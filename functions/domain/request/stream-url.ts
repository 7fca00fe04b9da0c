import { EgressError } from '#domain/errors.ts';
import { redactIdentifier, redactUrl, rtmpUrlPattern } from './redact.ts';
import { invalidUrl } from './request-errors.ts';

/** Protocol of a stream output. `websocket` carries raw PCM audio only. */
export type StreamProtocolName = 'rtmp' | 'srt' | 'websocket';

/** One destination of a stream output. */
export interface StreamUrl {
  /** The URL to publish to, after rewriting (`mux://<key>` → Mux's RTMPS ingest). Secret. */
  readonly url: string;
  /** The same URL safe to show, for `StreamInfo.url`. */
  readonly redactedUrl: string;
}

const schemeProtocols: Readonly<Record<string, StreamProtocolName>> = {
  rtmp: 'rtmp',
  rtmps: 'rtmp',
  mux: 'rtmp',
  twitch: 'rtmp',
  srt: 'srt',
  ws: 'websocket',
  wss: 'websocket',
};

const schemePattern = /^([A-Za-z][A-Za-z0-9+.-]*):/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is rejected
const controlCharacter = /[\u0000-\u001f\u007f]/;

const rtmpFormat = 'rtmp urls must be of format rtmp(s)://{host}(/{path})/{app}/{stream_key}( live=1)';

/** Scheme of `url`, lower-cased as Go's `url.Parse` does; `''` when it has none. */
export function urlScheme(url: string): string {
  return schemePattern.exec(url)?.[1]?.toLowerCase() ?? '';
}

/**
 * Protocol of a stream output whose `protocol` is DEFAULT_PROTOCOL, from its first URL's scheme:
 * rtmp, rtmps, mux, twitch → RTMP; srt → SRT; ws, wss → WebSocket.
 */
export function protocolOfUrl(url: string): StreamProtocolName {
  assertParsable(url);
  const protocol = schemeProtocols[urlScheme(url)];
  if (protocol === undefined) throw invalidUrl(redactForError(url), 'invalid protocol');
  return protocol;
}

/**
 * Validates one stream URL for `protocol` and returns what to publish to and what to show. Used for a
 * request's stream outputs and for URLs added later by UpdateStream.
 *
 * `twitch://<key>` needs Twitch's ingest list from the network to be rewritten; validation does no I/O,
 * so it is rejected with a message naming the URL to use instead.
 */
export function validateStreamUrl(url: string, protocol: StreamProtocolName): StreamUrl {
  assertParsable(url);
  const scheme = urlScheme(url);
  if (schemeProtocols[scheme] !== protocol) throw invalidUrl(redactForError(url), 'invalid scheme');
  if (protocol !== 'rtmp') return { url, redactedUrl: redactUrl(url) };

  if (scheme === 'twitch') {
    throw new EgressError(
      'invalid_argument',
      `invalid url ${redactUrl(url)}: twitch:// URLs are not supported; use your Twitch ingest URL, ` +
        'rtmps://<ingest>.contribute.live-video.net/app/<stream_key>',
    );
  }
  const target = scheme === 'mux' ? `rtmps://global-live.mux.com:443/app/${authorityOf(url)}` : url;
  if (!rtmpUrlPattern.test(target)) throw invalidUrl(redactForError(url), rtmpFormat);
  return { url: target, redactedUrl: redactUrl(target) };
}

/** The host part of `scheme://host/...`: the stream key of a `mux://` URL. */
function authorityOf(url: string): string {
  const rest = url.slice(url.indexOf('://') + 3);
  const end = rest.search(/[/?#]/);
  return end < 0 ? rest : rest.slice(0, end);
}

function assertParsable(url: string): void {
  if (controlCharacter.test(url)) throw invalidUrl(redactForError(url), 'invalid control character in URL');
}

/**
 * A URL for an error message. A URL that failed validation may not have the shape {@link redactUrl}
 * recognises, so when that changes nothing the last path segment (where keys live) is redacted too.
 */
function redactForError(url: string): string {
  // Control characters would garble logs; they are never part of a key worth showing.
  const printable = url.replace(new RegExp(controlCharacter.source, 'g'), '');
  const redacted = redactUrl(printable);
  if (redacted !== printable) return redacted;
  const slash = printable.lastIndexOf('/');
  const authorityEnd = printable.indexOf('://') + 2;
  if (slash <= authorityEnd || slash === printable.length - 1) return printable;
  return `${printable.slice(0, slash + 1)}${redactIdentifier(printable.slice(slash + 1))}`;
}
