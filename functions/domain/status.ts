import { EgressStatus } from '@livekit/protocol';

/**
 * The egress status state machine — the one place that says which transitions are allowed.
 *
 * STARTING → ACTIVE → ENDING → COMPLETE, with FAILED, ABORTED and LIMIT_REACHED as the other terminal states.
 * Every writer (API, dispatcher, task, reconciler) asks {@link canTransition} before its conditional write,
 * so a late or duplicate writer loses and changes nothing.
 */

const terminal: ReadonlySet<EgressStatus> = new Set([
  EgressStatus.EGRESS_COMPLETE,
  EgressStatus.EGRESS_FAILED,
  EgressStatus.EGRESS_ABORTED,
  EgressStatus.EGRESS_LIMIT_REACHED,
]);

const allowed = new Map<EgressStatus, ReadonlySet<EgressStatus>>([
  [
    EgressStatus.EGRESS_STARTING,
    new Set<EgressStatus>([EgressStatus.EGRESS_ACTIVE, EgressStatus.EGRESS_ABORTED, EgressStatus.EGRESS_FAILED]),
  ],
  [
    EgressStatus.EGRESS_ACTIVE,
    new Set<EgressStatus>([EgressStatus.EGRESS_ENDING, EgressStatus.EGRESS_FAILED, EgressStatus.EGRESS_LIMIT_REACHED]),
  ],
  [
    EgressStatus.EGRESS_ENDING,
    new Set<EgressStatus>([
      EgressStatus.EGRESS_COMPLETE,
      EgressStatus.EGRESS_FAILED,
      EgressStatus.EGRESS_LIMIT_REACHED,
    ]),
  ],
]);

/** Whether `status` is final: nothing may change the record afterwards. */
export function isTerminal(status: EgressStatus): boolean {
  return terminal.has(status);
}

/** Whether an egress in `status` still counts as active for `ListEgress{active:true}`. */
export function isActive(status: EgressStatus): boolean {
  return !isTerminal(status);
}

/**
 * Whether a record may go from `from` to `to`. Staying in the same non-terminal status is allowed (an
 * update of results or stream state); a terminal record never changes.
 */
export function canTransition(from: EgressStatus, to: EgressStatus): boolean {
  if (isTerminal(from)) return false;
  if (from === to) return true;
  return allowed.get(from)?.has(to) ?? false;
}

/** `EGRESS_ACTIVE` → `EGRESS_ACTIVE`; the proto enum name used in messages and logs. */
export function statusName(status: EgressStatus): string {
  return EgressStatus[status] ?? `UNKNOWN(${String(status)})`;
}
