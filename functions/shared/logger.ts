/**
 * The one structured logger. JSON lines on stderr (what CloudWatch and the local launcher collect), or a
 * compact human form with `LOG_FORMAT=pretty`. Every value registered with {@link registerSecret} is
 * masked in every line, wherever it appears, so a secret cannot leak through an error message either.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Readonly<Record<string, unknown>>;

const levelRank: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };
const secrets = new Set<string>();
const minSecretLength = 6;

/** Masks `value` in every later log line. Short values are ignored: masking them would garble logs. */
export function registerSecret(value: string | undefined): void {
  if (value !== undefined && value.length >= minSecretLength) secrets.add(value);
}

/** Replaces every registered secret in `text` with `***`. */
export function maskSecrets(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('***');
  return out;
}

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose lines all carry `bindings` (egress id, component, process name…). */
  child(bindings: LogFields): Logger;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  readonly format?: 'json' | 'pretty';
  readonly write?: (line: string) => void;
}

function parseLevel(value: string | undefined): LogLevel {
  return value === 'debug' || value === 'warn' || value === 'error' ? value : 'info';
}

function serializeError(err: Error): Record<string, unknown> {
  const out: Record<string, unknown> = { name: err.name, message: err.message };
  if ('code' in err) out['code'] = (err as { code: unknown }).code;
  if (err.cause !== undefined) {
    out['cause'] = err.cause instanceof Error ? serializeError(err.cause) : JSON.stringify(err.cause, replacer);
  }
  return out;
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) return serializeError(value);
  return value;
}

function prettyValue(value: unknown): string {
  if (typeof value === 'string') return value.includes(' ') ? JSON.stringify(value) : value;
  return JSON.stringify(value, replacer);
}

class JsonLogger implements Logger {
  constructor(
    private readonly bindings: LogFields,
    private readonly options: Required<LoggerOptions>,
  ) {}

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }

  child(bindings: LogFields): Logger {
    return new JsonLogger({ ...this.bindings, ...bindings }, this.options);
  }

  private log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (levelRank[level] < levelRank[this.options.level]) return;
    const record = { time: new Date().toISOString(), level, msg, ...this.bindings, ...fields };
    let line: string;
    if (this.options.format === 'pretty') {
      const extra = Object.entries({ ...this.bindings, ...fields })
        .map(([k, v]) => `${k}=${prettyValue(v)}`)
        .join(' ');
      line = `${record.time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${msg}${extra ? ` ${extra}` : ''}`;
    } else {
      line = JSON.stringify(record, replacer);
    }
    this.options.write(maskSecrets(line));
  }
}

/** Creates a logger; level and format default to `LOG_LEVEL` (info) and `LOG_FORMAT` (json). */
export function createLogger(bindings: LogFields = {}, options: LoggerOptions = {}): Logger {
  return new JsonLogger(bindings, {
    level: options.level ?? parseLevel(process.env['LOG_LEVEL']),
    format: options.format ?? (process.env['LOG_FORMAT'] === 'pretty' ? 'pretty' : 'json'),
    write: options.write ?? ((line) => process.stderr.write(`${line}\n`)),
  });
}
