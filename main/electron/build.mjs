#!/usr/bin/env node
// Builds the desktop app's main process and preload with esbuild into out/ (ignored by git):
//   out/main/main.js        ESM, the Electron entry (package.json "main"); npm packages stay external (node_modules)
//   out/preload/preload.cjs CommonJS, one file with nothing but `electron` external (a sandboxed preload's limit)
// Dynamic imports become their own chunks, so the engine modules a job needs load only when a job starts.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// `--out <folder>` builds elsewhere (the tests do).
const at = process.argv.indexOf('--out');
const out = at > 0 ? path.resolve(process.argv[at + 1]) : path.join(root, 'out');
await rm(out, { recursive: true, force: true });
const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: 'linked', logLevel: 'warning', absWorkingDir: root };
await build({
  ...common,
  entryPoints: { main: 'main/electron/main.ts' },
  outdir: path.join(out, 'main'),
  format: 'esm',
  splitting: true,
  packages: 'external',
  chunkNames: 'chunks/[name]-[hash]',
});
await build({
  ...common,
  entryPoints: ['main/electron/preload.ts'],
  outfile: path.join(out, 'preload', 'preload.cjs'),
  format: 'cjs',
  external: ['electron'],
});
process.stdout.write(`Built the desktop app's main process and preload into ${path.relative(process.cwd(), out) || out}/.\n`);
