/**
 * Bench helper (not production code): publishes one synthetic participant (Opus + VP8) in its own process,
 * so its encoding CPU is not counted in the recorder's process. Reads BENCH_URL, BENCH_KEY, BENCH_SECRET,
 * BENCH_ROOM, BENCH_VIDEO ("WIDTHxHEIGHT@KBPS"); prints one JSON line with the track sids; runs until
 * SIGTERM. Run by `bench-cpu.ts`.
 */
import { dispose } from '@livekit/rtc-node';
import { startSyntheticPublisher } from '#bench/synthetic-publisher.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
};

const [size = '960x540', kbps = '1500'] = env('BENCH_VIDEO').split('@');
const [width = 960, height = 540] = size.split('x').map(Number);
const publisher = await startSyntheticPublisher({
  url: env('BENCH_URL'),
  apiKey: env('BENCH_KEY'),
  apiSecret: env('BENCH_SECRET'),
  room: env('BENCH_ROOM'),
  identity: 'bench-publisher',
  audio: true,
  video: { codec: 'vp8', width, height, bitrateKbps: Number(kbps) },
});
process.stdout.write(`${JSON.stringify({ audio: publisher.audioTrackSid, video: publisher.videoTrackSid })}\n`);
process.once('SIGTERM', () => {
  void publisher
    .stop()
    .then(() => dispose())
    .finally(() => process.exit(0));
});
