/**
 * The comparison for track egress: what decoding and re-encoding the same track costs. A child process
 * subscribes with rtc-node (decoded frames) and pipes raw audio/video into ffmpeg, which encodes it again
 * (libopus / libvpx VP8 realtime). Run as its own process so its CPU can be read from /proc.
 *
 * Usage: tsx transcode-baseline.ts <ws-url> <token> <trackSid> <out-file>
 */
import {
  AudioStream,
  Room,
  RoomEvent,
  TrackKind,
  VideoBufferType,
  VideoStream,
  dispose,
  type RemoteTrack,
} from '@livekit/rtc-node';
import { spawn } from 'node:child_process';

const [url, token, trackSid, out] = process.argv.slice(2);
if (url === undefined || token === undefined || trackSid === undefined || out === undefined) {
  console.error('usage: transcode-baseline <url> <token> <trackSid> <out>');
  process.exit(2);
}

const room = new Room();
const subscribed = new Promise<RemoteTrack>((resolve) => {
  room.on(RoomEvent.TrackSubscribed, (track) => {
    if (track.sid === trackSid) resolve(track);
  });
});
await room.connect(url, token, { autoSubscribe: true, dynacast: false });
const track = await subscribed;
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});

if (track.kind === TrackKind.KIND_AUDIO) {
  const ffmpeg = spawn(
    'ffmpeg',
    [
      '-v',
      'error',
      '-y',
      '-f',
      's16le',
      '-ar',
      '48000',
      '-ac',
      '2',
      '-i',
      'pipe:0',
      '-c:a',
      'libopus',
      '-b:a',
      '64k',
      out,
    ],
    {
      stdio: ['pipe', 'ignore', 'inherit'],
    },
  );
  for await (const frame of new AudioStream(track, { sampleRate: 48000, numChannels: 2 })) {
    if (stopping) break;
    ffmpeg.stdin.write(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength));
  }
  ffmpeg.stdin.end();
  await new Promise((r) => ffmpeg.once('exit', r));
} else {
  let ffmpeg: ReturnType<typeof spawn> | undefined;
  for await (const event of new VideoStream(track)) {
    if (stopping) break;
    const frame = event.frame.convert(VideoBufferType.I420);
    ffmpeg ??= spawn(
      'ffmpeg',
      [
        '-v',
        'error',
        '-y',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'yuv420p',
        '-s',
        `${frame.width}x${frame.height}`,
        '-r',
        '30',
        '-i',
        'pipe:0',
        '-c:v',
        'libvpx',
        '-deadline',
        'realtime',
        '-cpu-used',
        '8',
        '-b:v',
        '1500k',
        out,
      ],
      { stdio: ['pipe', 'ignore', 'inherit'] },
    );
    ffmpeg.stdin?.write(Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength));
  }
  ffmpeg?.stdin?.end();
  if (ffmpeg !== undefined) await new Promise((r) => ffmpeg.once('exit', r));
}
await room.disconnect();
await dispose();
process.exit(0);
