/** Reading configuration from the environment, with errors that name the variable. */

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

/** The value of `name`; throws a {@link ConfigError} naming it when unset or empty. */
export function requireEnv(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigError(`environment variable ${name} is required`);
  return value;
}

/** The value of `name`, or `fallback` when unset or empty. */
export function optionalEnv(env: Env, name: string, fallback: string): string;
export function optionalEnv(env: Env, name: string): string | undefined;
export function optionalEnv(env: Env, name: string, fallback?: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

/** A comma-separated list (empty entries dropped). */
export function listEnv(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** An integer within [min, max]; throws naming the variable otherwise. */
export function intEnv(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`environment variable ${name}=${raw} must be an integer from ${min} to ${max}`);
  }
  return value;
}
