import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compiledWorkerScript } from './worker-script.js';

const ROOT = new URL('../../', import.meta.url);

describe('finding a compiled worker script', () => {
  it('from the TypeScript sources, takes the build’s copy', () => {
    const module = new URL('src/aggregator/ingest/worker-store.ts', ROOT).href;
    const built = new URL('dist/src/aggregator/ingest/store-worker.js', ROOT);
    expect(existsSync(fileURLToPath(built)), 'run npx tsc -p tsconfig.json first').toBe(true);
    expect(compiledWorkerScript('./store-worker.js', module)?.href).toBe(built.href);
  });

  it('from the build, takes the script beside the module', () => {
    const module = new URL('dist/src/aggregator/books/export-pool.js', ROOT).href;
    expect(compiledWorkerScript('./export-worker.js', module)?.href).toBe(new URL('dist/src/aggregator/books/export-worker.js', ROOT).href);
  });

  it('says there is none when neither exists', () => {
    expect(compiledWorkerScript('./no-such-worker.js', new URL('src/aggregator/books/export-pool.ts', ROOT).href)).toBeUndefined();
    expect(compiledWorkerScript('./no-such-worker.js', new URL('dist/src/aggregator/books/export-pool.js', ROOT).href)).toBeUndefined();
    expect(compiledWorkerScript('./worker.js', 'file:///nowhere/else/module.js')).toBeUndefined();
  });
});
