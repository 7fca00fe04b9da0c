/**
 * Child-process fixture for subscriber-exit.test.ts: subscribes to the tracks in `LK_TRACKS` for
 * `LK_SECONDS`, reports packets and CPU use on stdout as one JSON line, closes, and then simply returns.
 * The process must exit by itself: any socket, timer or worker left open by the subscriber keeps it alive.
 */
import { createLogger } from '#shared/logger.ts';
import { LiveKitSubscriber } from './subscriber.ts';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is not set`);
  return value;
};

const logger = createLogger({ component: 'exit-fixture' }, { level: 'warn' });
const started = Date.now();
const subscriber = await LiveKitSubscriber.connect({ url: env('LK_URL'), token: env('LK_TOKEN'), logger });
const tracks = await Promise.all(
  env('LK_TRACKS')
    .split(',')
    .map((sid) => subscriber.subscribe(sid)),
);
let packets = 0;
let firstPacketMs = -1;
for (const track of tracks) {
  track.onRtp(() => {
    if (firstPacketMs < 0) firstPacketMs = Date.now() - started;
    packets++;
  });
}
const cpuBefore = process.cpuUsage();
const wallBefore = performance.now();
await new Promise((resolve) => setTimeout(resolve, Number(env('LK_SECONDS')) * 1000));
const cpu = process.cpuUsage(cpuBefore);
const wallMs = performance.now() - wallBefore;
await subscriber.close();
const report = {
  packets,
  firstPacketMs,
  tracks: tracks.map((t) => t.codec.mimeType),
  cpuCores: (cpu.user + cpu.system) / 1000 / wallMs,
  rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
};
process.stdout.write(`${JSON.stringify(report)}\n`);
