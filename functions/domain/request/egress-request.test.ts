import { EgressInfo, EgressSourceType, EncodingOptionsPreset, ExportReplayRequest } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import {
  cloneRequest,
  egressRequestOf,
  isPassthroughRequest,
  requestTypeOf,
  roomNameOf,
  sourceTypeOf,
  webhooksOf,
} from './egress-request.ts';
import { participant, roomComposite, track, trackComposite, v2, web } from './request-fixtures.ts';

describe('egress request helpers', () => {
  it('reads the request of an EgressInfo, ignoring replay exports', () => {
    const request = roomComposite();
    expect(egressRequestOf(new EgressInfo({ request }))).toEqual(request);
    expect(egressRequestOf(new EgressInfo())).toBeUndefined();
    expect(
      egressRequestOf(new EgressInfo({ request: { case: 'replay', value: new ExportReplayRequest() } })),
    ).toBeUndefined();
  });

  it('gives the room name, empty for a v1 web egress', () => {
    expect(roomNameOf(roomComposite())).toBe('demo');
    expect(roomNameOf(track())).toBe('demo');
    expect(roomNameOf(web())).toBe('');
    expect(roomNameOf(v2({ roomName: 'r2' }))).toBe('r2');
  });

  it('names the request family', () => {
    expect([roomComposite(), web(), participant(), trackComposite(), track()].map(requestTypeOf)).toEqual([
      'room_composite',
      'web',
      'participant',
      'track_composite',
      'track',
    ]);
    expect(requestTypeOf(v2())).toBe('room_composite');
    expect(requestTypeOf(v2({ source: { case: 'web', value: { url: 'https://x.test/' } } }))).toBe('web');
    const media = { case: 'media' as const, value: { video: { case: 'videoTrackId' as const, value: 'TR_v' } } };
    expect(requestTypeOf(v2({ source: media }))).toBe('participant');
    const passthrough = v2({ source: media, encoding: { case: 'preset', value: EncodingOptionsPreset.PASSTHROUGH } });
    expect(isPassthroughRequest(passthrough)).toBe(true);
    expect(requestTypeOf(passthrough)).toBe('track');
  });

  it('gives the source type: WEB when Chrome renders', () => {
    expect(sourceTypeOf(roomComposite())).toBe(EgressSourceType.WEB);
    expect(sourceTypeOf(roomComposite({ audioOnly: true, layout: '' }))).toBe(EgressSourceType.SDK);
    expect(sourceTypeOf(roomComposite({ audioOnly: true }))).toBe(EgressSourceType.WEB);
    expect(sourceTypeOf(web())).toBe(EgressSourceType.WEB);
    expect(sourceTypeOf(participant())).toBe(EgressSourceType.SDK);
    expect(sourceTypeOf(v2())).toBe(EgressSourceType.WEB);
  });

  it('clones deeply', () => {
    const request = roomComposite({ webhooks: [{ url: 'https://h.test/' }] });
    const copy = cloneRequest(request);
    expect(copy).toEqual(request);
    if (copy.case === 'roomComposite') copy.value.roomName = 'changed';
    expect(roomNameOf(request)).toBe('demo');
    expect(webhooksOf(request)).toHaveLength(1);
  });
});
