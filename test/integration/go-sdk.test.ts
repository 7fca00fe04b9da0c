import { EgressInfo, EgressStatus, ListEgressResponse } from '@livekit/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGoClient } from '#bench/go-client.ts';
import { startLiveKitServer, type LiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture, type LocalFixture } from '#bench/local-fixture.ts';
import { startSyntheticPublisher, type SyntheticPublisher } from '#bench/synthetic-publisher.ts';
import { startWsReceiver, type WsReceiver } from '#bench/ws-receiver.ts';

describe("LiveKit's Go SDK (protobuf Twirp, as lk uses) against the local system", () => {
  let livekit: LiveKitServer;
  let local: LocalFixture;
  let ws: WsReceiver;
  let publisher: SyntheticPublisher;
  let env: Record<string, string>;

  beforeAll(async () => {
    livekit = await startLiveKitServer();
    ws = await startWsReceiver();
    local = await startLocalFixture(livekit);
    env = { EGRESS_URL: local.system.url, LIVEKIT_API_KEY: livekit.apiKey, LIVEKIT_API_SECRET: livekit.apiSecret };
    publisher = await startSyntheticPublisher({
      url: livekit.url,
      apiKey: livekit.apiKey,
      apiSecret: livekit.apiSecret,
      room: 'go-room',
      identity: 'mic',
      audio: true,
    });
  });

  afterAll(async () => {
    await publisher?.stop();
    await local?.stop();
    await ws?.stop();
    await livekit?.stop();
  });

  const go = async (...args: string[]): Promise<string> => {
    const res = await runGoClient(args, env);
    if (!res.ok) throw new Error(res.stderr);
    return res.stdout;
  };
  const list = async (id: string) => ListEgressResponse.fromJsonString(await go('list', '-id', id)).items[0];

  it('starts, lists and stops a track egress with protobuf bodies', async () => {
    const started = EgressInfo.fromJsonString(
      await go('start-track-ws', '-room', 'go-room', '-track', publisher.audioTrackSid!, '-ws', `${ws.url}/go`),
    );
    expect(started.status).toBe(EgressStatus.EGRESS_STARTING);
    for (let i = 0; i < 100 && (await list(started.egressId))?.status !== EgressStatus.EGRESS_ACTIVE; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await list(started.egressId))?.status).toBe(EgressStatus.EGRESS_ACTIVE);
    const conn = await ws.waitForConnection(5_000);
    await new Promise((r) => setTimeout(r, 2_000));
    const stopped = EgressInfo.fromJsonString(await go('stop', '-id', started.egressId));
    expect(stopped.status).toBe(EgressStatus.EGRESS_ENDING);
    await conn.closed;
    for (let i = 0; i < 100 && (await list(started.egressId))?.status !== EgressStatus.EGRESS_COMPLETE; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await list(started.egressId))?.status).toBe(EgressStatus.EGRESS_COMPLETE);
    expect(conn.binaryBytes).toBeGreaterThan(192_000);
  });

  it('rejects bad calls with Twirp errors the Go SDK understands', async () => {
    const missing = await runGoClient(['stop', '-id', 'EG_doesnotexist1'], env);
    expect(missing.stderr.trim()).toBe('twirp not_found: egress not found');
    const invalid = await runGoClient(['start-track-ws', '-room', 'go-room', '-ws', `${ws.url}/x`], env);
    expect(invalid.stderr.trim()).toBe('twirp invalid_argument: request has missing or invalid field: track_id');
    const badKey = await runGoClient(['list'], { ...env, LIVEKIT_API_SECRET: 'y'.repeat(40) });
    expect(badKey.stderr.trim()).toBe(
      'twirp unauthenticated: invalid access token: signature does not match the API secret',
    );
  });
});
