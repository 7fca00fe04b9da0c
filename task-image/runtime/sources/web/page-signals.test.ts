import { describe, expect, it } from 'vitest';
import { redactPageText, signalOf } from './page-signals.ts';

describe('page text for the log', () => {
  it('replaces access tokens, in a JWT or a query value, and keeps the rest', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const text = `WebSocket to ws://127.0.0.1:7880/rtc?access_token=${jwt}&auto_subscribe=1 failed; token=abc123 bearer ${jwt}`;
    const out = redactPageText(text);
    expect(out).not.toContain(jwt);
    expect(out).not.toContain('abc123');
    expect(out).toContain('ws://127.0.0.1:7880/rtc?access_token=[redacted]&auto_subscribe=1 failed');
    expect(out).toContain('bearer [token]');
  });

  it('cuts long text', () => {
    expect(redactPageText('x'.repeat(900))).toHaveLength(500);
    expect(redactPageText('x'.repeat(900), 20)).toHaveLength(20);
  });
});

describe('page signals', () => {
  it('finds START_RECORDING and END_RECORDING among console words', () => {
    expect(signalOf({ text: () => 'START_RECORDING' })).toBe('START_RECORDING');
    expect(signalOf({ text: () => 'egress END_RECORDING now' })).toBe('END_RECORDING');
    expect(signalOf({ text: () => 'START_RECORDINGS' })).toBeUndefined();
  });
});
