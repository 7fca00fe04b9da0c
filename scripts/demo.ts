/**
 * `npm run demo`: runs the main job locally, end to end, with real parts — a LiveKit server in dev mode, two
 * synthetic participants (a tone with a beep a second, and a test-pattern video), the egress system in local
 * mode, and three egresses started with `EgressClient` exactly as an app backend would: the flagship room
 * composite (the grid layout rendered by Chromium, encoded to an H.264/AAC MP4), one participant's audio to a
 * WebSocket (the PCM received is saved as a WAV file) and their video to a WebM file with no transcoding.
 * Every recording is checked with ffprobe. The demo exits by itself when done.
 *
 * Options (environment): DEMO_SECONDS (default 15), DEMO_DIR (default .data/demo).
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DirectFileOutput, EgressStatus, EncodedFileOutput } from '@livekit/protocol';
import { startLiveKitServer } from '#bench/livekit-server.ts';
import { startLocalFixture, waitForStatus } from '#bench/local-fixture.ts';
import { startSyntheticPublisher } from '#bench/synthetic-publisher.ts';
import { startWsReceiver } from '#bench/ws-receiver.ts';
import { statusName } from '#domain/status.ts';

const seconds = Number(process.env['DEMO_SECONDS'] ?? '15');
const dir = resolve(process.env['DEMO_DIR'] ?? '.data/demo');
const say = (line: string): void => console.log(`[demo] ${line}`);
const cleanups: (() => Promise<unknown>)[] = [];

async function main(): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  say('starting a LiveKit server (dev keys, loopback only)…');
  const livekit = await startLiveKitServer();
  cleanups.push(() => livekit.stop());
  say(`LiveKit is up at ${livekit.url}`);

  say('starting the egress system in local mode (API + queue + launcher + store)…');
  process.env['LOG_LEVEL'] ??= 'warn';
  const local = await startLocalFixture(livekit, { baseDir: resolve(dir, 'system') });
  cleanups.push(() => local.stop());
  say(`egress API at ${local.system.url} (API key ${livekit.apiKey})`);

  const room = 'demo-room';
  say(`joining a synthetic participant to room "${room}" (tone + beep each second, test-pattern video)…`);
  const publisher = await startSyntheticPublisher({
    url: livekit.url,
    apiKey: livekit.apiKey,
    apiSecret: livekit.apiSecret,
    room,
    identity: 'synthetic-speaker',
    audio: true,
    video: { codec: 'vp8' },
  });
  cleanups.push(() => publisher.stop());
  const second = await startSyntheticPublisher({
    url: livekit.url,
    apiKey: livekit.apiKey,
    apiSecret: livekit.apiSecret,
    room,
    identity: 'synthetic-guest',
    video: { codec: 'vp8' },
  });
  cleanups.push(() => second.stop());
  say('joined a second participant (test-pattern video) to the same room');

  const receiver = await startWsReceiver({ recordDir: dir });
  cleanups.push(() => receiver.stop());
  say(`WebSocket receiver listening at ${receiver.url}`);

  const t0 = Date.now();
  const composite = await local.client.startRoomCompositeEgress(
    room,
    new EncodedFileOutput({ filepath: '{room_name}/composite-{time}' }),
    { layout: 'grid' },
  );
  say(`EgressClient.startRoomCompositeEgress(grid → MP4) → ${composite.egressId} ${statusName(composite.status)}`);
  const info = await local.client.startTrackEgress(room, `${receiver.url}/audio`, publisher.audioTrackSid!);
  say(`EgressClient.startTrackEgress(audio → WebSocket) → ${info.egressId} ${statusName(info.status)}`);
  const video = await local.client.startTrackEgress(
    room,
    new DirectFileOutput({ filepath: '{room_name}/{track_type}-{time}' }),
    publisher.videoTrackSid!,
  );
  say(`EgressClient.startTrackEgress(video → file, no transcoding) → ${video.egressId} ${statusName(video.status)}`);
  await waitForStatus(local.client, info.egressId, EgressStatus.EGRESS_ACTIVE, 10_000);
  say(`${info.egressId} is ACTIVE after ${Date.now() - t0} ms`);
  await waitForStatus(local.client, video.egressId, EgressStatus.EGRESS_ACTIVE, 10_000);
  say(`${video.egressId} is ACTIVE after ${Date.now() - t0} ms`);
  await waitForStatus(local.client, composite.egressId, EgressStatus.EGRESS_ACTIVE, 20_000);
  say(`${composite.egressId} (room composite) is ACTIVE after ${Date.now() - t0} ms`);
  const connection = await receiver.waitForConnection(5_000);
  for (let s = 0; s < seconds; s += 3) {
    await new Promise((r) => setTimeout(r, Math.min(3, seconds - s) * 1000));
    say(
      `received ${(connection.binaryBytes / 1e6).toFixed(2)} MB of PCM (${(connection.binaryBytes / 192_000).toFixed(1)} s)`,
    );
  }
  const stopping = await local.client.stopEgress(info.egressId);
  say(`EgressClient.stopEgress(${info.egressId}) → ${statusName(stopping.status)}`);
  await local.client.stopEgress(video.egressId);
  await local.client.stopEgress(composite.egressId);
  const compositeDone = await waitForStatus(local.client, composite.egressId, EgressStatus.EGRESS_COMPLETE, 30_000);
  const videoDone = await waitForStatus(local.client, video.egressId, EgressStatus.EGRESS_COMPLETE, 15_000);
  const done = await waitForStatus(local.client, info.egressId, EgressStatus.EGRESS_COMPLETE, 15_000);
  await connection.closed;
  say(`${info.egressId} is ${statusName(done.status)} (${done.details})`);

  const wav = resolve(dir, `${info.egressId}.wav`);
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 's16le', '-ar', '48000', '-ac', '2', '-i', connection.file!, wav]);
  const probe = execFileSync('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format=duration:stream=codec_name,sample_rate,channels',
    '-of',
    'compact=p=0',
    wav,
  ]);
  say(`recording: ${wav}`);
  say(`ffprobe: ${probe.toString().trim().replace(/\n/g, ' | ')}`);
  const file = videoDone.fileResults[0];
  if (file !== undefined) {
    const videoProbe = execFileSync('ffprobe', [
      '-v',
      'error',
      '-show_entries',
      'stream=codec_name,width,height',
      '-of',
      'compact=p=0',
      file.location,
    ]);
    say(
      `video recording: ${file.location} (${(Number(file.size) / 1e6).toFixed(2)} MB, ${(Number(file.duration) / 1e9).toFixed(1)} s)`,
    );
    say(`ffprobe: ${videoProbe.toString().trim()}; manifest: ${videoDone.manifestLocation}`);
  }
  const compositeFile = compositeDone.fileResults[0];
  if (compositeFile !== undefined) {
    say(`room composite recording: ${compositeFile.location} (${(Number(compositeFile.size) / 1e6).toFixed(2)} MB)`);
    say(`ffprobe: ${summary(compositeFile.location)}`);
  }
}

/** One line of what ffprobe reads in a file: duration, and each stream's codec and shape. */
function summary(file: string): string {
  const out = execFileSync('ffprobe', [
    ...[
      '-v',
      'error',
      '-show_entries',
      'format=duration:stream=codec_name,width,height,avg_frame_rate,sample_rate,channels',
    ],
    ...['-of', 'compact=p=0:nk=0', file],
  ]);
  return out.toString().trim().replace(/\n/g, ' | ');
}

try {
  await main();
} catch (err) {
  console.error('[demo] failed:', err);
  process.exitCode = 1;
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
}
// The WebRTC stacks' native threads would keep the process alive after its work is done.
process.exit(process.exitCode ?? 0);
