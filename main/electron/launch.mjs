#!/usr/bin/env node
// Starts the desktop app (`npm start` runs it after building): Electron's binary from node_modules/electron.
// Electron's npm package (45+) has no install script: its binary is downloaded, from outside the npm registry, the first
// time it is needed. This does that download once (unless ELECTRON_SKIP_BINARY_DOWNLOAD is set); where the binary is
// still missing (no internet access, the download skipped or failed), it says so in one line and starts the same app
// for a web browser instead (`netsprout serve`), so that `npm install && npm start` always ends with the app running.
// `--check` only says whether the desktop app can start (exit 0) or not (exit 1).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pkg = path.join(root, 'node_modules', 'electron');
const check = process.argv.includes('--check');
const passOn = process.argv.slice(2).filter((a) => a !== '--check');

/** The Electron executable, without triggering the download that requiring the `electron` package would start. */
function electronBinary() {
  if (!existsSync(path.join(pkg, 'package.json'))) return null;
  const pathFile = path.join(pkg, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const exe = dist ? path.join(dist, relative ?? 'electron') : relative ? path.join(pkg, 'dist', relative) : null;
  return exe && existsSync(exe) ? exe : null;
}

/** Electron's own installer (node_modules/electron/install.js), once; false where it cannot run or fails. */
function downloadElectron() {
  const installer = path.join(pkg, 'install.js');
  if (!existsSync(installer) || process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) return false;
  process.stderr.write("Downloading Electron's binary (once, about 100 MB)...\n");
  const r = spawnSync(process.execPath, [installer], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10 * 60 * 1000, encoding: 'utf8' });
  return r.status === 0;
}

/** The same app for a web browser: `netsprout serve` prints the address to open. */
function serveInstead(why) {
  process.stderr.write(`${why}: starting NetSprout for your web browser instead (\`npm run serve\`); open the address below.\n`);
  const child = spawn(process.execPath, [path.join(root, 'bin', 'netsprout.mjs'), 'serve', ...passOn], { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
}

let exe = electronBinary();
if (check) process.exit(exe ? 0 : 1);
if (!exe && downloadElectron()) exe = electronBinary();
if (!exe) {
  serveInstead(
    process.env.ELECTRON_SKIP_BINARY_DOWNLOAD
      ? "Electron's binary is not installed here (ELECTRON_SKIP_BINARY_DOWNLOAD is set; `npx install-electron` downloads it where the internet can be reached)"
      : "Electron's binary is not installed here and could not be downloaded (`npx install-electron` downloads it where the internet can be reached)",
  );
} else if (!existsSync(path.join(root, 'out', 'main', 'main.js'))) {
  process.stderr.write('The desktop app is not built: run `npm run build:main` (or `npm start`, which builds it).\n');
  process.exit(1);
} else {
  const args = [root, ...passOn];
  // Chromium refuses to run as root with its sandbox (CI machines, containers); the window's renderer sandbox stays on.
  if (process.platform === 'linux' && process.getuid?.() === 0) args.push('--no-sandbox');
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(exe, args, { stdio: 'inherit', env });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s));
}
