import type { ConsoleMessage } from 'puppeteer-core';

/** The console messages of LiveKit's template contract. */
export type PageSignal = 'START_RECORDING' | 'END_RECORDING';

/**
 * Which signal a console message carries: LiveKit's egress reacts to any console argument equal to
 * `START_RECORDING` or `END_RECORDING` (Runtime.consoleAPICalled), so a template written for it works here.
 */
export function signalOf(message: Pick<ConsoleMessage, 'text'>): PageSignal | undefined {
  const words = message.text().split(/\s+/);
  if (words.includes('START_RECORDING')) return 'START_RECORDING';
  if (words.includes('END_RECORDING')) return 'END_RECORDING';
  return undefined;
}

/** Navigation errors worth another attempt (LiveKit retries these, up to 3 attempts). */
export function isRetryableNavigation(err: unknown): boolean {
  const message = err instanceof Error ? err.message : String(err);
  return /timeout|ERR_CONNECTION_CLOSED|ERR_CERT_VERIFIER_CHANGED|ERR_CONNECTION_REFUSED/i.test(message);
}

/**
 * A page's console or error text made fit for the task's log: access tokens (JWTs, `access_token=` and
 * `token=` query values) are replaced, and the text is cut to `max` characters.
 */
export function redactPageText(text: string, max = 500): string {
  return text
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, '[token]')
    .replace(/((?:access_)?token=)[^&\s"']+/gi, '$1[redacted]')
    .slice(0, max);
}
