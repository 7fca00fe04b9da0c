import type { EgressPlan } from '#domain/request/plan.ts';
import type { Logger } from '#shared/logger.ts';
import {
  builtInTemplatesRoot,
  startTemplateServer,
  templatePageUrl,
  type TemplateServer,
} from '../../sources/template-server.ts';

/** The page a composite egress records, and whatever serves it. */
export interface PageTarget {
  readonly url: string;
  /** Wait for `START_RECORDING` before recording. */
  readonly awaitStartSignal: boolean;
  /** Stops the built-in template server, if one was started. Idempotent. */
  close(): Promise<void>;
}

/**
 * Room composite: the built-in templates, served by the task on localhost, or the request's
 * `custom_base_url`, with LiveKit's `url`, `token` and `layout` parameters set; the page always signals
 * its start. Web: the URL as given, waiting for the start signal only when asked.
 */
export async function pageTarget(
  plan: EgressPlan,
  join: { livekitUrl: string; token: string },
  logger: Logger,
): Promise<PageTarget> {
  const source = plan.source;
  if (source.kind === 'web') {
    return { url: source.url, awaitStartSignal: source.awaitStartSignal, close: () => Promise.resolve() };
  }
  if (source.kind !== 'template') throw new Error(`no page for a ${source.kind} source`);
  const params = { livekitUrl: join.livekitUrl, token: join.token, layout: source.layout };
  if (source.baseUrl !== undefined) {
    return { url: templatePageUrl(source.baseUrl, params), awaitStartSignal: true, close: () => Promise.resolve() };
  }
  const server: TemplateServer = await startTemplateServer({ root: builtInTemplatesRoot(), logger });
  return { url: templatePageUrl(server.baseUrl, params), awaitStartSignal: true, close: () => server.close() };
}
