import { ParticipantInfo, ParticipantInfo_State, TrackInfo, TrackSource, TrackType } from '@livekit/protocol';
import { expect, test } from 'vitest';
import { RoomState } from './room-state.ts';

const video = (sid: string, muted = false): TrackInfo =>
  new TrackInfo({
    sid,
    type: TrackType.VIDEO,
    source: TrackSource.CAMERA,
    mimeType: 'video/VP8',
    width: 640,
    height: 360,
    muted,
  });
const audio = (sid: string): TrackInfo =>
  new TrackInfo({ sid, type: TrackType.AUDIO, source: TrackSource.MICROPHONE, mimeType: 'audio/opus' });
const data = (sid: string): TrackInfo => new TrackInfo({ sid, type: TrackType.DATA });

function alice(version: number, tracks: TrackInfo[], state = ParticipantInfo_State.ACTIVE): ParticipantInfo {
  return new ParticipantInfo({ sid: 'PA_alice', identity: 'alice', name: 'Alice', version, state, tracks });
}

test('reports published tracks with kind, source and size, and skips itself and data tracks', () => {
  const state = new RoomState('PA_me');
  const me = new ParticipantInfo({ sid: 'PA_me', identity: 'EG_x', tracks: [audio('TR_mine')] });
  const changes = state.apply([me, alice(1, [video('TR_v'), audio('TR_a'), data('TR_d')])]);
  expect(changes.map((c) => c.type)).toEqual(['trackPublished', 'trackPublished']);
  expect(state.findTrack('TR_v')).toMatchObject({
    kind: 'video',
    source: 'camera',
    width: 640,
    participant: { identity: 'alice' },
  });
  expect(state.findTrack('TR_a')?.source).toBe('microphone');
  expect(state.findTrack('TR_mine')).toBeUndefined();
  expect(state.findTrack('TR_d')).toBeUndefined();
});

test('reports unpublish and mute changes, and ignores stale versions', () => {
  const state = new RoomState('PA_me');
  state.apply([alice(1, [video('TR_v'), audio('TR_a')])]);
  expect(state.apply([alice(2, [video('TR_v', true), audio('TR_a')])])).toEqual([
    expect.objectContaining({ type: 'trackMuted', muted: true }),
  ]);
  expect(state.apply([alice(1, [])])).toEqual([]);
  const changes = state.apply([alice(3, [video('TR_v', true)])]);
  expect(changes.map((c) => [c.type, 'track' in c ? c.track.sid : ''])).toEqual([['trackUnpublished', 'TR_a']]);
  expect(state.tracks().map((t) => t.sid)).toEqual(['TR_v']);
});

test('a disconnected participant unpublishes every track, then leaves', () => {
  const state = new RoomState('PA_me');
  state.apply([alice(1, [video('TR_v'), audio('TR_a')])]);
  const changes = state.apply([alice(2, [], ParticipantInfo_State.DISCONNECTED)]);
  expect(changes.map((c) => c.type)).toEqual(['trackUnpublished', 'trackUnpublished', 'participantLeft']);
  expect(state.tracks()).toEqual([]);
  expect(state.apply([alice(3, [], ParticipantInfo_State.DISCONNECTED)])).toEqual([]);
});
