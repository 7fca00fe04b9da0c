import { ConfigError, intEnv, optionalEnv } from '#shared/env.ts';

/**
 * Settings of the recorder self-check, from the environment:
 *
 * | variable | default | meaning |
 * | --- | --- | --- |
 * | `SELF_CHECK_SECONDS` | `4` | length of the test recording (3–30 s) |
 * | `SELF_CHECK_OUTPUT` | none | keep the MP4 at this path (otherwise it is deleted with the scratch folder) |
 * | `SELF_CHECK_SIZE` | `1280x720` | screen and capture size |
 * | `CHROMIUM_PATH` | `chromium` | the browser to start |
 */
export interface SelfCheckConfig {
  readonly seconds: number;
  readonly output: string | undefined;
  readonly width: number;
  readonly height: number;
  readonly chromium: string;
}

/** Reads the self-check's settings once at start. */
export function readSelfCheckConfig(env: NodeJS.ProcessEnv = process.env): SelfCheckConfig {
  const size = optionalEnv(env, 'SELF_CHECK_SIZE', '1280x720');
  const match = /^(\d{3,4})x(\d{3,4})$/.exec(size);
  const width = Number(match?.[1]);
  const height = Number(match?.[2]);
  // x264 with yuv420p needs even sizes.
  if (match === null || width % 2 !== 0 || height % 2 !== 0) {
    throw new ConfigError(`environment variable SELF_CHECK_SIZE=${size} must be <even width>x<even height>`);
  }
  return {
    seconds: intEnv(env, 'SELF_CHECK_SECONDS', 4, 3, 30),
    output: optionalEnv(env, 'SELF_CHECK_OUTPUT'),
    width,
    height,
    chromium: optionalEnv(env, 'CHROMIUM_PATH', 'chromium'),
  };
}
