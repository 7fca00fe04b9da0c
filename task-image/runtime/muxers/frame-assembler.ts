/**
 * Frame assembly shared by the video depacketizers: packets of one frame share an RTP timestamp and the
 * last one carries the marker bit. A frame whose start or end is missing, or that a loss cut through, is
 * not emitted: it is reported as broken, because a decoder can only resume cleanly at the next key frame.
 */
import type { MediaFrame } from './container.ts';

/** Where a depacketizer delivers its output. */
export interface FrameEvents {
  /** A complete frame. */
  frame(frame: MediaFrame): void;
  /** Media was lost or arrived incomplete; reported once per episode. */
  broken(reason: string): void;
}

/** Frame data once assembled. */
export interface AssembledFrame {
  readonly data: Uint8Array;
  readonly keyFrame: boolean;
}

/** A video depacketizer: in-order RTP payloads in, whole frames out. */
export interface Depacketizer {
  /** One packet's payload with its timeline position and marker bit. Empty payloads (padding) are ignored. */
  push(payload: Uint8Array, time: number, marker: boolean): void;
  /** Packets were lost here: the frame in progress is dropped. */
  loss(): void;
  /** End of the track: a frame still in progress is written if the codec can tell it is whole, else dropped. */
  flush(): void;
}

/** Concatenates `parts` (one copy). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1 && parts[0] !== undefined) return parts[0];
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The timestamp/marker logic; subclasses parse their payload format. */
export abstract class FrameAssembler implements Depacketizer {
  private time: number | undefined;
  /** Set after a break until a packet starts a new frame, so one episode is reported once. */
  private skipping = false;

  constructor(private readonly events: FrameEvents) {}

  push(payload: Uint8Array, time: number, marker: boolean): void {
    if (payload.length === 0) return;
    if (this.time !== undefined && time !== this.time) this.close(false);
    if (this.time === undefined) {
      if (!this.begin(payload)) {
        this.broken('a frame without its first packet');
        return;
      }
      this.skipping = false;
      this.time = time;
    } else if (!this.add(payload)) {
      this.time = undefined;
      this.broken('a malformed packet');
      return;
    }
    if (marker) this.close(true);
  }

  loss(): void {
    this.time = undefined;
    this.broken('packets lost');
  }

  flush(): void {
    const time = this.time;
    this.time = undefined;
    // The recording ends here: a frame cut off by the end is not a loss to report.
    const frame = time === undefined ? undefined : this.end(false);
    if (time !== undefined && frame !== undefined) this.events.frame({ time, ...frame });
  }

  /** Starts a frame with this packet (and keeps its data); false when the packet cannot start one. */
  protected abstract begin(payload: Uint8Array): boolean;
  /** Adds a later packet of the frame; false when it is malformed. */
  protected abstract add(payload: Uint8Array): boolean;
  /** Assembles the frame; undefined when it is incomplete. `marker` tells whether the marker bit ended it. */
  protected abstract end(marker: boolean): AssembledFrame | undefined;

  private close(marker: boolean): void {
    const time = this.time;
    this.time = undefined;
    if (time === undefined) return;
    const frame = this.end(marker);
    if (frame === undefined) this.broken('an incomplete frame');
    else this.events.frame({ time, ...frame });
  }

  private broken(reason: string): void {
    if (this.skipping) return;
    this.skipping = true;
    this.events.broken(reason);
  }
}
