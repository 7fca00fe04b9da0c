/** PCM format of LiveKit's WebSocket output: s16le, 48 kHz, stereo, interleaved. */
export const pcmSampleRate = 48_000;
export const pcmChannels = 2;

const tickMs = 20;
/** Silence of no packets longer than this counts as a gap (LiveKit: the jitter latency). */
const gapThresholdMs = 200;
const silenceFrame = new Int16Array((pcmSampleRate / 100) * pcmChannels);

/**
 * Keeps a PCM stream in step with the wall clock: while the track is muted or no packets arrive, it writes
 * silence, so the receiver's byte count and the stream's duration match the time that passed (a mute is a
 * gap of silence, not a jump), as LiveKit's pipeline does with its silence source.
 */
export class PcmGapFiller {
  private startedAt: number | undefined;
  private lastFrameAt = 0;
  private samplesWritten = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: (samples: Int16Array) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Passes one decoded frame through. The first frame starts the clock. */
  frame(samples: Int16Array): void {
    const now = this.now();
    if (this.startedAt === undefined) {
      this.startedAt = now;
      this.timer = setInterval(() => this.fill(), tickMs);
    }
    this.lastFrameAt = now;
    this.samplesWritten += samples.length / pcmChannels;
    this.write(samples);
  }

  /** Stops filling. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Samples per channel written so far (frames and silence). */
  get written(): number {
    return this.samplesWritten;
  }

  private fill(): void {
    const now = this.now();
    if (this.startedAt === undefined || now - this.lastFrameAt < gapThresholdMs) return;
    const due = ((now - this.startedAt) * pcmSampleRate) / 1000;
    const perFrame = silenceFrame.length / pcmChannels;
    // Bounded: one tick writes at most one second of silence.
    for (let i = 0; i < 100 && this.samplesWritten + perFrame <= due; i += 1) {
      this.samplesWritten += perFrame;
      this.write(silenceFrame);
    }
  }
}
