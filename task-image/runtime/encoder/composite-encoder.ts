import type { Readable, Writable } from 'node:stream';
import { EgressError } from '#domain/errors.ts';
import type { Logger } from '#shared/logger.ts';
import { ManagedProcess, describeExit, type ProcessExit } from '#shared/managed-process.ts';
import { encoderArgs, encoderFds, type EncoderSpec } from './encoder-args.ts';

/** Where the encoder's outputs go. */
export interface EncoderOutputs {
  /** MPEG-TS bytes as they come (the fan-out aligns them to packets). */
  readonly onStream: (chunk: Buffer) => void;
  /** PCM s16le 48 kHz stereo of the mixed audio. */
  readonly onPcm: (chunk: Buffer) => void;
}

/** Lines of ffmpeg's stderr kept for the error message of an unexpected exit. */
const tailLines = 5;

/** Where a piped input's media goes in (track composite): video images and PCM, already paced. */
export interface EncoderInputs {
  readonly video: Writable | undefined;
  readonly audio: Writable | undefined;
}

/**
 * The one ffmpeg of a composite egress: captures the display and the sink's monitor (or reads the media
 * written to its input pipes) and encodes once.
 * `finish` ends it gracefully (SIGINT: ffmpeg flushes its encoders and closes its outputs), so every sink
 * gets the last frames; any other exit is a failure named after ffmpeg with its last words.
 */
export class CompositeEncoder {
  private readonly tail: string[] = [];
  private finishing: Promise<ProcessExit> | undefined;
  /** Resolves when ffmpeg exits, whatever the reason. */
  readonly exited: Promise<ProcessExit>;

  /** The input pipes of a piped input (undefined members for a capture input). */
  readonly inputs: EncoderInputs;

  private constructor(
    private readonly proc: ManagedProcess,
    audioIn: number | undefined,
  ) {
    this.exited = proc.exited;
    const piped = audioIn !== undefined || proc.child.stdin !== null;
    this.inputs = {
      video: piped ? (proc.child.stdin ?? undefined) : undefined,
      audio: audioIn === undefined ? undefined : writable(proc, audioIn),
    };
    // A pipe closed by ffmpeg's exit is reported through `exited`, not as an unhandled stream error.
    for (const input of [this.inputs.video, this.inputs.audio]) input?.on('error', () => undefined);
    proc.child.stderr?.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        this.tail.push(line.trim());
        if (this.tail.length > tailLines) this.tail.shift();
      }
    });
  }

  /**
   * Starts ffmpeg: on the capture stack's display and audio server (`env` holds DISPLAY and PULSE_SERVER),
   * or reading {@link inputs}.
   */
  static start(spec: EncoderSpec, env: NodeJS.ProcessEnv, outputs: EncoderOutputs, logger: Logger): CompositeEncoder {
    const fds = encoderFds(spec);
    const proc = new ManagedProcess('ffmpeg', encoderArgs(spec), {
      name: 'ffmpeg encoder',
      logger,
      env,
      rawStdout: true,
      extraPipes: fds.extraPipes,
      stdin: spec.input.kind === 'pipes' && spec.video ? 'pipe' : 'ignore',
      outputLevel: 'info',
    });
    proc.child.stdout?.on('data', outputs.onStream);
    if (fds.pcmOut !== undefined) readable(proc, fds.pcmOut)?.on('data', outputs.onPcm);
    logger.info('encoder started', {
      width: spec.encoding.width,
      height: spec.encoding.height,
      fps: spec.encoding.framerate,
      videoKbps: spec.encoding.videoBitrateKbps,
      audioCodec: spec.audio ? spec.encoding.audioCodec : 'none',
    });
    return new CompositeEncoder(proc, fds.audioIn);
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

function readable(proc: ManagedProcess, fd: number): Readable | undefined {
  const stream = proc.child.stdio[fd];
  return stream !== null && stream !== undefined && 'on' in stream ? (stream as Readable) : undefined;
}

function writable(proc: ManagedProcess, fd: number): Writable | undefined {
  const stream = proc.child.stdio[fd];
  return stream !== null && stream !== undefined && 'write' in stream ? stream : undefined;
}
