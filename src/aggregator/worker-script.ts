import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The project's root as this module sees it: `<repo>/` from the TypeScript sources, `<repo>/dist/` once built. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Where the compiled worker script `file` (e.g. `./store-worker.js`) of the module at `moduleUrl` is.
 * A worker thread runs JavaScript only: when built, the script sits beside its module; when the module
 * runs from its TypeScript sources (vitest), the build's copy under `dist/` is used. Undefined when there
 * is no build: the caller then does the work on its own thread.
 */
export function compiledWorkerScript(file: string, moduleUrl: string): URL | undefined {
  const beside = new URL(file, moduleUrl);
  if (existsSync(fileURLToPath(beside))) return beside;
  const fromRoot = relative(ROOT, fileURLToPath(beside));
  if (fromRoot.startsWith('..') || isAbsolute(fromRoot) || fromRoot.startsWith(`dist${sep}`)) return undefined;
  const built = join(ROOT, 'dist', fromRoot);
  return existsSync(built) ? pathToFileURL(built) : undefined;
}
