#!/usr/bin/env node
// Thin launcher: the TypeScript sources are compiled to dist/ by `npm install` (the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/simulators/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('chiso-sim: the compiled program is missing (dist/). Run "npm install" or "npm run build" in the chiso folder.');
  process.exit(2);
}
await import(entry.href);
