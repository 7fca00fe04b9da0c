import { fileURLToPath } from 'node:url';

/** The repository root (this file lives in `<root>/infra/`): build context of the task images. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
