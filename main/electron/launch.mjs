#!/usr/bin/env node
// Starts the desktop app (`npm start` runs it after building): Electron's binary from node_modules/electron.
// Electron's npm package downloads that binary only when first asked for it, from outside the npm registry; where it
// is missing, this says so in one line and exits 1, pointing to `npm run serve` (the same app in a browser).
// `--check` only checks.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = path.join(root, 'node_modules', 'electron');

/** The Electron executable, without triggering the download that requiring the `electron` package would start. */
function electronBinary() {
  if (!existsSync(path.join(pkg, 'package.json'))) return null;
  const pathFile = path.join(pkg, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const exe = dist ? path.join(dist, relative ?? 'electron') : relative ? path.join(pkg, 'dist', relative) : null;
  return exe && existsSync(exe) ? exe : null;
}

const exe = electronBinary();
if (!exe) {
  process.stderr.write('The Electron binary is not installed here (node_modules/electron/dist is missing; `npx install-electron` downloads it where the internet can be reached): run `npm run serve` to use NetSprout in your browser instead.\n');
  process.exit(1);
}
if (process.argv.includes('--check')) process.exit(0);
if (!existsSync(path.join(root, 'out', 'main', 'main.js'))) {
  process.stderr.write('The desktop app is not built: run `npm run build:main` (or `npm start`, which builds it).\n');
  process.exit(1);
}
const args = [root, ...process.argv.slice(2)];
// Chromium refuses to run as root with its sandbox (CI machines, containers); the window's renderer sandbox stays on.
if (process.platform === 'linux' && process.getuid?.() === 0) args.push('--no-sandbox');
const env = { ...process.env };
delete env.ELECTRON_RUN_AS_NODE;
const child = spawn(exe, args, { stdio: 'inherit', env });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
