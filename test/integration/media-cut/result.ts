/** The namespace's one address off `lo` (on a veth pair whose peer is in the namespace too). */
export const namespaceAddress = '10.213.1.1';

/** One file egress of the media-cut scenario. */
export interface MediaCutFile {
  readonly kind: 'video' | 'audio';
  readonly status: string;
  readonly error: string;
  /** ACTIVE → stop, as the records have it. */
  readonly wallS: number;
  readonly durationS: number;
  readonly decodeErrors: number;
  /** The longest stretch between two packets of the file, s (the outage, kept as a gap in time). */
  readonly gapS: number;
}

/** What the media-cut scenario prints as its one JSON line, read by `test/integration/media-cut.test.ts`. */
export interface MediaCutResult {
  /** `done`, or why the scenario failed. */
  readonly status: string;
  /** Datagrams between the tasks and the server that the namespace's rule dropped during the cut. */
  readonly droppedDatagrams?: number;
  readonly cutS?: number;
  readonly files?: readonly MediaCutFile[];
}
