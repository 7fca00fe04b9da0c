import { describe, expect, it } from 'vitest';
import { createLogger, registerSecret } from './logger.ts';

describe('logger', () => {
  it('writes JSON lines with bindings, fields and serialized errors', () => {
    const lines: string[] = [];
    const log = createLogger({ component: 'test' }, { format: 'json', level: 'info', write: (l) => lines.push(l) });
    log.child({ egressId: 'EG_x' }).info('hello', { err: new Error('boom', { cause: new Error('root') }), n: 1n });
    log.debug('hidden');
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(rec).toMatchObject({ level: 'info', msg: 'hello', component: 'test', egressId: 'EG_x', n: '1' });
    expect(rec['err']).toEqual({ name: 'Error', message: 'boom', cause: { name: 'Error', message: 'root' } });
  });

  it('masks registered secrets anywhere in a line', () => {
    const lines: string[] = [];
    const log = createLogger({}, { format: 'pretty', write: (l) => lines.push(l) });
    registerSecret('super-secret-value');
    registerSecret('abc');
    log.error('failed with super-secret-value inside', { url: 'rtmp://x/super-secret-value', short: 'abc' });
    expect(lines[0]).not.toContain('super-secret-value');
    expect(lines[0]).toContain('***');
    expect(lines[0]).toContain('abc');
  });
});
