import { EgressStatus } from '@livekit/protocol';
import { describe, expect, it } from 'vitest';
import { canTransition, isActive, isTerminal, statusName } from './status.ts';

const S = EgressStatus;
const all = [
  S.EGRESS_STARTING,
  S.EGRESS_ACTIVE,
  S.EGRESS_ENDING,
  S.EGRESS_COMPLETE,
  S.EGRESS_FAILED,
  S.EGRESS_ABORTED,
  S.EGRESS_LIMIT_REACHED,
];

describe('status state machine', () => {
  it('allows the normal lifecycle', () => {
    expect(canTransition(S.EGRESS_STARTING, S.EGRESS_ACTIVE)).toBe(true);
    expect(canTransition(S.EGRESS_ACTIVE, S.EGRESS_ENDING)).toBe(true);
    expect(canTransition(S.EGRESS_ENDING, S.EGRESS_COMPLETE)).toBe(true);
  });

  it('allows failure from every open state and abort only before start', () => {
    for (const from of [S.EGRESS_STARTING, S.EGRESS_ACTIVE, S.EGRESS_ENDING]) {
      expect(canTransition(from, S.EGRESS_FAILED)).toBe(true);
    }
    expect(canTransition(S.EGRESS_STARTING, S.EGRESS_ABORTED)).toBe(true);
    expect(canTransition(S.EGRESS_ACTIVE, S.EGRESS_ABORTED)).toBe(false);
  });

  it('rejects every change of a terminal record', () => {
    const terminals = all.filter(isTerminal);
    expect(terminals).toEqual([S.EGRESS_COMPLETE, S.EGRESS_FAILED, S.EGRESS_ABORTED, S.EGRESS_LIMIT_REACHED]);
    for (const from of terminals) for (const to of all) expect(canTransition(from, to)).toBe(false);
  });

  it('rejects going backwards or skipping to COMPLETE', () => {
    expect(canTransition(S.EGRESS_ACTIVE, S.EGRESS_STARTING)).toBe(false);
    expect(canTransition(S.EGRESS_ENDING, S.EGRESS_ACTIVE)).toBe(false);
    expect(canTransition(S.EGRESS_STARTING, S.EGRESS_COMPLETE)).toBe(false);
    expect(canTransition(S.EGRESS_STARTING, S.EGRESS_ENDING)).toBe(false);
  });

  it('treats open states as active and names them', () => {
    expect(all.filter(isActive)).toEqual([S.EGRESS_STARTING, S.EGRESS_ACTIVE, S.EGRESS_ENDING]);
    expect(statusName(S.EGRESS_ENDING)).toBe('EGRESS_ENDING');
  });
});
