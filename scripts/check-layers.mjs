#!/usr/bin/env node
// Checks that imports point one way (see README "Layout"): each folder may import only the folders listed
// for it, and the protocol core imports nothing that does I/O. Prints every violation with file and line.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, dirname, resolve, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');

/** folder → folders it may import (itself always allowed). */
const allowed = {
  'src/shared': [],
  'src/wire': ['src/shared'],
  'src/dlms': ['src/shared'],
  'src/transport': ['src/shared'],
  'src/client': ['src/shared', 'src/dlms', 'src/transport'],
  'src/store': ['src/shared', 'src/wire'],
  'src/config': ['src/shared', 'src/wire'],
  'src/gateway': ['src/shared', 'src/wire', 'src/dlms', 'src/transport', 'src/client', 'src/store', 'src/config'],
  'src/aggregator': ['src/shared', 'src/wire', 'src/store', 'src/config'],
  'src/cli': ['*'],
  simulators: ['src/shared', 'src/dlms', 'src/transport', 'src/wire'],
};
/** Packages and node modules a folder must not use: the DLMS core stays free of I/O. */
const forbiddenModules = {
  'src/dlms': /^(node:)?(net|fs|fs\/promises|dgram|child_process|http|https|tls|os)$|^(serialport|better-sqlite3|mqtt|aedes|pino|node-cron)$/,
  'src/wire': /^(node:)?(net|fs|fs\/promises|child_process)$|^(serialport|better-sqlite3|mqtt|aedes)$/,
  'src/aggregator': /^serialport$/,
};

function layerOf(file) {
  const rel = relative(root, file).split(sep).join('/');
  return Object.keys(allowed).find((l) => rel === l || rel.startsWith(l + '/'));
}

function* walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* walk(p);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) yield p;
  }
}

const importRe = /(?:^|\s)(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const problems = [];
for (const base of ['src', 'simulators']) {
  let files;
  try {
    files = [...walk(join(root, base))];
  } catch {
    continue;
  }
  for (const file of files) {
    const from = layerOf(file);
    if (!from) continue;
    const isTest = file.endsWith('.test.ts');
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(importRe)) {
      const spec = m[1] ?? m[2];
      const line = text.slice(0, m.index).split('\n').length;
      const where = `${relative(root, file)}:${line}`;
      if (spec.startsWith('.')) {
        const target = layerOf(resolve(dirname(file), spec));
        if (!target || target === from) continue;
        if (isTest && target.startsWith('test')) continue;
        const ok = allowed[from];
        if (!ok.includes('*') && !ok.includes(target)) problems.push(`${where}: ${from} must not import ${target} ("${spec}")`);
      } else if (!isTest && forbiddenModules[from]?.test(spec)) {
        problems.push(`${where}: ${from} must not use "${spec}" (no I/O in this layer)`);
      }
    }
  }
}
if (problems.length) {
  console.error(`layer check: ${problems.length} import(s) against the layering:\n` + problems.join('\n'));
  process.exit(1);
}
console.log('layer check: imports follow the layering');
