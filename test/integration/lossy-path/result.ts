/** The namespace's one address off `lo` (on a veth pair whose peer is in the namespace too). */
export const namespaceAddress = '10.213.0.1';

/** What the lossy-path scenario prints as its one JSON line, read by `test/integration/lossy-path.test.ts`. */
export interface LossyPathResult {
  /** `EGRESS_COMPLETE`, or why the scenario failed. */
  readonly status: string;
  /** Media datagrams the namespace's iptables rule dropped on their way to the server. */
  readonly droppedDatagrams?: number;
  /** ACTIVE → stop, as the records have it. */
  readonly wallS?: number;
  readonly durationS?: number;
  readonly decodeErrors?: number;
  /** Frozen stretches of at least 1 s: [start, end] in seconds. */
  readonly freezes?: readonly (readonly [number, number])[];
  readonly pairs?: number;
  readonly p95AbsMs?: number;
  readonly medianMs?: number;
}
