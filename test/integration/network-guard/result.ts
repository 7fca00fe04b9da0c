/**
 * What the network-guard scenario prints as its one JSON line on stdout, read by
 * `test/integration/network-guard.test.ts`. Shared so producer and consumer agree on one shape.
 */

/** How the API answered a Start* call that must be refused. */
export interface Rejection {
  /** False when the call succeeded: the guard let the destination through. */
  readonly rejected: boolean;
  /** HTTP status of the Twirp error (400 expected). */
  readonly status: number | undefined;
  /** Twirp code (`invalid_argument` expected). */
  readonly code: string | undefined;
  readonly message: string;
}

/** One TCP connection or UDP datagram the bait received. */
export interface BaitHit {
  /** `tcp 169.254.170.2:80`, `udp [fd00:ec2::254]:3478`… */
  readonly listener: string;
  /**
   * What arrived, which names the path: `GET /v2/credentials` (every request of a kept-alive connection,
   * comma-separated), `tls`, `bytes 0003…` (TURN), `udp 20 bytes 0001…` (STUN), `(nothing sent)`.
   */
  readonly first: string;
  /** Milliseconds since the scenario started. */
  readonly atMs: number;
}

/** The web egress of the site page. */
export interface RecordingResult {
  readonly egressId: string;
  /** `EGRESS_COMPLETE` expected, after StopEgress. */
  readonly status: string;
  readonly error: string;
  readonly filename: string | undefined;
  readonly videoCodec: string | undefined;
  readonly audioCodec: string | undefined;
  readonly durationS: number | undefined;
}

/** Everything the outer test asserts on. */
export interface ScenarioResult {
  /** The bait answered a connection from this process inside the namespace: the address is live there. */
  readonly baitReachable: boolean;
  /** The fake credentials the bait serves, as the self-check read them (so a leak would be recognisable). */
  readonly baitAnswer: string;
  readonly rejections: {
    readonly webIpv4: Rejection;
    readonly webIpv6: Rejection;
    readonly customBaseUrl: Rejection;
  };
  /** Egress records that exist after the three refusals (0: nothing was queued or launched). */
  readonly egressesAfterRejections: number;
  /** Bait hits while the API refused the three requests. */
  readonly hitsDuringRejections: readonly BaitHit[];
  readonly recording: RecordingResult | undefined;
  /** What the page saw for each way it tried to reach the bait (key → outcome), as it reported it. */
  readonly attempts: Readonly<Record<string, string>>;
  /** Attempt keys the page never reported (its script did not get that far). */
  readonly missingAttempts: readonly string[];
  /** Bait hits from the moment the self-check ended to the end of the scenario. */
  readonly hits: readonly BaitHit[];
  /** The scenario's own failure (thrown error), if any. */
  readonly failure: string | undefined;
  readonly elapsedMs: number;
}
