import type { Readable } from 'node:stream';
import { EgressError } from '#domain/errors.ts';
import type { Logger } from '#shared/logger.ts';
import { ManagedProcess, describeExit, type ProcessExit } from '#shared/managed-process.ts';
import { encoderArgs, type EncoderSpec } from './encoder-args.ts';

/** Where the encoder's outputs go. */
export interface EncoderOutputs {
  /** MPEG-TS bytes as they come (the fan-out aligns them to packets). */
  readonly onStream: (chunk: Buffer) => void;
  /** PCM s16le 48 kHz stereo of the mixed audio. */
  readonly onPcm: (chunk: Buffer) => void;
}

/** Lines of ffmpeg's stderr kept for the error message of an unexpected exit. */
const tailLines = 5;

/**
 * The one ffmpeg of a composite egress: captures the display and the sink's monitor and encodes once.
 * `finish` ends it gracefully (SIGINT: ffmpeg flushes its encoders and closes its outputs), so every sink
 * gets the last frames; any other exit is a failure named after ffmpeg with its last words.
 */
export class CompositeEncoder {
  private readonly tail: string[] = [];
  private finishing: Promise<ProcessExit> | undefined;
  /** Resolves when ffmpeg exits, whatever the reason. */
  readonly exited: Promise<ProcessExit>;

  private constructor(private readonly proc: ManagedProcess) {
    this.exited = proc.exited;
    proc.child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.tail.push(line.trim());
        if (this.tail.length > tailLines) this.tail.shift();
      }
    });
  }

  /** Starts ffmpeg on the capture stack's display and audio server (`env` holds DISPLAY and PULSE_SERVER). */
  static start(spec: EncoderSpec, env: NodeJS.ProcessEnv, outputs: EncoderOutputs, logger: Logger): CompositeEncoder {
    const extraPipes = spec.pcm && spec.audio ? 1 : 0;
    const proc = new ManagedProcess('ffmpeg', encoderArgs(spec), {
      name: 'ffmpeg encoder',
      logger,
      env,
      rawStdout: true,
      extraPipes,
      outputLevel: 'info',
    });
    proc.child.stdout?.on('data', outputs.onStream);
    if (spec.pcm && spec.audio) pipe(proc, 3)?.on('data', outputs.onPcm);
    logger.info('encoder started', {
      width: spec.encoding.width,
      height: spec.encoding.height,
      fps: spec.encoding.framerate,
      videoKbps: spec.encoding.videoBitrateKbps,
      audioCodec: spec.audio ? spec.encoding.audioCodec : 'none',
    });
    return new CompositeEncoder(proc);
  }

  /** Whether {@link finish} was called (an exit after it is the expected one). */
  get finishingRequested(): boolean {
    return this.finishing !== undefined;
  }

  /** Ends the encoding gracefully; resolves when ffmpeg has flushed and exited (killed after 10 s). */
  finish(): Promise<ProcessExit> {
    this.finishing ??= this.proc.stop('SIGINT', 10_000);
    return this.finishing;
  }

  /** Kills ffmpeg at once. */
  async kill(): Promise<void> {
    await this.proc.stop('SIGKILL');
  }

  /** The error for an exit nobody asked for. */
  failure(exit: ProcessExit): EgressError {
    const words = this.tail.length > 0 ? `: ${this.tail.join(' | ')}` : '';
    return new EgressError('internal', `ffmpeg encoder exited (${describeExit(exit)})${words}`);
  }
}

function pipe(proc: ManagedProcess, fd: number): Readable | undefined {
  const stream = proc.child.stdio[fd];
  return stream !== null && stream !== undefined && 'on' in stream ? (stream as Readable) : undefined;
}
