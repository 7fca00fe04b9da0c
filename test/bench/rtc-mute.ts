import { FfiRequest, FfiResponse, livekitFfiRequest } from '@livekit/rtc-ffi-bindings';
import { RoomEvent, type LocalTrack, type Room, type TrackPublication } from '@livekit/rtc-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { RtcBenchError } from './bench-errors.ts';

/**
 * Mutes or unmutes a local track, signalled to the server like a client's mute button.
 *
 * rtc-node 1.1.0 has no mute method, but its native layer has the request (`LocalTrackMuteRequest`), so
 * this sends it through the FFI bindings rtc-node itself is built on (`@livekit/rtc-ffi-bindings`, installed
 * with rtc-node). The request is synchronous and needs the FFI already initialised — any connected Room does.
 */
export function setLocalTrackMuted(track: LocalTrack, muted: boolean): void {
  const request = new FfiRequest({
    message: { case: 'localTrackMute', value: { trackHandle: track.ffi_handle.handle, mute: muted } },
  });
  const response = FfiResponse.fromBinary(livekitFfiRequest(request.toBinary()));
  if (response.message.case !== 'localTrackMute' || response.message.value.muted !== muted) {
    throw new RtcBenchError(`could not ${muted ? 'mute' : 'unmute'} track ${track.sid ?? '(unpublished)'}`);
  }
}

/**
 * {@link setLocalTrackMuted}, then waits until `room` reports the change for the track (the native layer
 * emits TrackMuted/TrackUnmuted for local publications once it has applied it), at most `timeoutMs`.
 */
export async function muteLocalTrack(room: Room, track: LocalTrack, muted: boolean, timeoutMs = 5_000): Promise<void> {
  const event = muted ? RoomEvent.TrackMuted : RoomEvent.TrackUnmuted;
  let onEvent: (publication: TrackPublication) => void = () => undefined;
  const confirmed = new Promise<void>((resolve) => {
    onEvent = (publication) => {
      if (publication.sid === track.sid) resolve();
    };
  });
  // Listen before sending: the event may arrive before the request returns.
  room.on(event, onEvent);
  const timer = new AbortController();
  try {
    setLocalTrackMuted(track, muted);
    const expired = sleep(timeoutMs, undefined, { signal: timer.signal }).then(() => {
      throw new RtcBenchError(
        `track ${track.sid ?? '?'} was not ${muted ? 'muted' : 'unmuted'} within ${timeoutMs} ms`,
      );
    });
    await Promise.race([confirmed, expired]);
  } finally {
    timer.abort();
    room.off(event, onEvent);
  }
}
