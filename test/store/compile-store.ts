import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Compiles src/store (and what it imports) to plain JS under `outDir`, so a child process can run the real
 * module with plain `node`, independent of whether `npm run build` ran. The out dir gets a package.json
 * (ESM) and a node_modules link so that `better-sqlite3` resolves. Returns the path of the compiled index.js.
 */
export function compileStore(outDir: string): string {
  mkdirSync(outDir, { recursive: true });
  const index = join(outDir, 'src/store/index.js');
  try {
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        '--outDir', outDir,
        '--rootDir', root,
        '--target', 'ES2022',
        '--module', 'NodeNext',
        '--moduleResolution', 'NodeNext',
        '--strict',
        '--skipLibCheck',
        '--esModuleInterop',
        '--types', 'node',
        join(root, 'src/store/index.ts'),
      ],
      { cwd: root, stdio: 'pipe' },
    );
  } catch (e) {
    // tsc exits non-zero on type errors but still emits; only a missing output is fatal here.
    if (!existsSync(index)) throw new Error(`compiling src/store failed: ${String((e as { stdout?: unknown }).stdout ?? e)}`);
  }
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(root, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  return index;
}
