import type { Message, MessageType } from '@bufbuild/protobuf';
import { EgressError } from '#domain/errors.ts';

/** The two body formats of Twirp: protojson (Node SDK) and binary protobuf (Go SDK, `lk`). */
export type BodyFormat = 'json' | 'protobuf';

/** The format named by a Content-Type header, or undefined when it is neither. */
export function formatOf(contentType: string | null): BodyFormat | undefined {
  const mime = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mime === 'application/json') return 'json';
  if (mime === 'application/protobuf' || mime === 'application/x-protobuf') return 'protobuf';
  return undefined;
}

/** Decodes a request body; a body that does not parse is a `malformed` Twirp error. */
export function decodeBody<T extends Message<T>>(type: MessageType<T>, body: Uint8Array, format: BodyFormat): T {
  try {
    if (format === 'protobuf') return type.fromBinary(body);
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    return type.fromJsonString(text.trim() === '' ? '{}' : text, { ignoreUnknownFields: true });
  } catch (err) {
    const what =
      format === 'json' ? 'the json request could not be decoded' : 'the protobuf request could not be decoded';
    throw new EgressError('malformed', `${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Encodes a response message in the request's format. */
export function encodeResponse<T extends Message<T>>(message: T, format: BodyFormat): Response {
  if (format === 'protobuf') {
    return new Response(Buffer.from(message.toBinary()), {
      status: 200,
      headers: { 'content-type': 'application/protobuf' },
    });
  }
  return new Response(message.toJsonString({ emitDefaultValues: true }), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
}
