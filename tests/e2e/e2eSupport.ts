/**
 * What the end-to-end tests share: the built renderer, small generated datasets, `netsprout serve` as a child
 * process with its own data folder, Debian's Chromium driven by playwright-core with every request recorded, the
 * engine processes the server started, and screenshots under test-artifacts/.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { quadrantImages } from '../helpers/syntheticData.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = path.join(REPO, 'test-artifacts', 'e2e');
export const CHROMIUM = process.env.NETSPROUT_E2E_CHROMIUM ?? '/usr/bin/chromium';

// ---------------------------------------------------------------------------------------------------------------
// The renderer
// ---------------------------------------------------------------------------------------------------------------

const RENDERER_DIST = path.join(REPO, 'renderer', 'dist', 'index.html');
const RENDERER_SOURCES = [path.join(REPO, 'renderer', 'src'), path.join(REPO, 'renderer', 'index.html'), path.join(REPO, 'renderer', 'vite.config.ts'), path.join(REPO, 'main', 'common', 'appApi.ts')];

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(p).map((e) => newestMtime(path.join(p, e))));
}

/**
 * Builds renderer/dist when it is missing or older than its sources (`npm test` builds it first, so this only
 * builds when a test file is run on its own). A lock folder keeps two test processes from building at once.
 */
export async function ensureRendererBuilt(): Promise<void> {
  const fresh = () => existsSync(RENDERER_DIST) && statSync(RENDERER_DIST).mtimeMs >= Math.max(...RENDERER_SOURCES.map(newestMtime));
  if (fresh()) return;
  const lock = path.join(REPO, 'renderer', '.build-lock');
  for (let waited = 0; ; waited += 500) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 180_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    if (fresh()) return;
    const { build } = await import('vite');
    await build({ configFile: path.join(REPO, 'renderer', 'vite.config.ts'), logLevel: 'warn' });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Datasets
// ---------------------------------------------------------------------------------------------------------------

export const QUADRANT_CLASSES = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];

/** A grey 0-255 PNG of one quadrant image (the bright square's quadrant is its class). */
async function quadrantPng(values: Float32Array, size: number): Promise<Buffer> {
  const px = Buffer.alloc(size * size);
  for (let i = 0; i < px.length; i++) px[i] = Math.max(0, Math.min(255, Math.round(60 + values[i] * 80)));
  return sharp(px, { raw: { width: size, height: size, channels: 1 } }).toColourspace('b-w').png().toBuffer();
}

/** A folder with one sub-folder per class of small generated pictures (learnable in seconds). */
export async function writeQuadrantDataset(dir: string, perClass = 40, size = 16, seed = 7): Promise<string> {
  const n = perClass * 4 * 2;
  const { x, y } = quadrantImages(n, size, seed);
  const written = [0, 0, 0, 0];
  for (let k = 0; k < n; k++) {
    const cls = y[k];
    if (written[cls] >= perClass) continue;
    const folder = path.join(dir, QUADRANT_CLASSES[cls]);
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, `img-${String(written[cls]).padStart(3, '0')}.png`), await quadrantPng(x.subarray(k * size * size, (k + 1) * size * size), size));
    written[cls]++;
  }
  if (written.some((c) => c < perClass)) throw new Error(`the generator gave too few images of a class: ${written}`);
  return dir;
}

/** One picture of a class, for "try it". */
export async function writeQuadrantPng(file: string, cls: number, size = 16, seed = 99): Promise<void> {
  for (let s = seed; ; s++) {
    const { x, y } = quadrantImages(1, size, s);
    if (y[0] === cls) {
      await writeFile(file, await quadrantPng(x, size));
      return;
    }
  }
}

/** A dataset NetSprout must refuse: one class with a single picture, a file that is not a picture. */
export async function writeBadDataset(dir: string): Promise<string> {
  const { x } = quadrantImages(6, 16, 3);
  await mkdir(path.join(dir, 'cats'), { recursive: true });
  await mkdir(path.join(dir, 'dogs'), { recursive: true });
  for (let k = 0; k < 5; k++) await writeFile(path.join(dir, 'cats', `cat-${k}.png`), await quadrantPng(x.subarray(k * 256, (k + 1) * 256), 16));
  await writeFile(path.join(dir, 'dogs', 'dog-0.png'), await quadrantPng(x.subarray(5 * 256, 6 * 256), 16));
  await writeFile(path.join(dir, 'dogs', 'dog-1.png'), 'this is not a picture');
  return dir;
}

// ---------------------------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------------------------

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  origin: string;
  port: number;
  token: string;
  /** Everything the server wrote to stderr so far (for failure messages). */
  stderr(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `netsprout serve` with its own data folder and waits for its one line with the address. */
export async function startServe(home: string, opts: { port?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ServeProcess> {
  const args = [path.join(REPO, 'bin', 'netsprout.mjs'), 'serve', ...(opts.port ? ['--port', String(opts.port)] : [])];
  const child = spawn(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, NETSPROUT_HOME: home, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`netsprout serve printed no address in 60 s; stderr:\n${err}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /NetSprout is running at (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`netsprout serve exited with ${code}; stderr:\n${err}`));
    });
  });
  const u = new URL(line);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    url: line,
    origin: u.origin,
    port: Number(u.port),
    token: u.searchParams.get('token')!,
    stderr: () => err,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** The processes started (directly or not) by `pid`, read from /proc (Linux). */
export function descendants(pid: number): Array<{ pid: number; cmdline: string }> {
  const parentOf = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(e), ppid);
    } catch {
      /* the process ended meanwhile */
    }
  }
  const out: Array<{ pid: number; cmdline: string }> = [];
  for (const [p] of parentOf) {
    let q = parentOf.get(p);
    while (q !== undefined && q !== pid && q > 1) q = parentOf.get(q);
    if (q === pid) {
      try {
        out.push({ pid: p, cmdline: readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ') });
      } catch {
        /* ended */
      }
    }
  }
  return out;
}

/** The engine processes a server runs (node bin/netsprout-engine.mjs). */
export function enginePids(serverPid: number): number[] {
  return descendants(serverPid)
    .filter((p) => p.cmdline.includes('netsprout-engine'))
    .map((p) => p.pid);
}

// ---------------------------------------------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------------------------------------------

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-default-apps', '--disable-extensions', '--no-default-browser-check'];

/** Chromium with a fresh profile in `userDataDir`: nothing from an earlier session (cookies, cache) can help a test. */
export async function launchChromium(userDataDir: string): Promise<BrowserContext> {
  rmSync(userDataDir, { recursive: true, force: true });
  mkdirSync(userDataDir, { recursive: true });
  return chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 900 } });
}

/** Every URL the browser asked for (pages, scripts, images, calls, WebSockets), in order. */
export function recordRequests(context: BrowserContext): string[] {
  const urls: string[] = [];
  const watch = (p: Page) => p.on('websocket', (ws) => urls.push(ws.url()));
  context.on('request', (r) => urls.push(r.url()));
  context.pages().forEach(watch);
  context.on('page', watch);
  return urls;
}

/** Page errors and console errors, to fail a test that would otherwise hide them. */
export function recordPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  return problems;
}

let shotIndex = 0;
/** A full-page screenshot under test-artifacts/e2e/, numbered in the order taken. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${String(++shotIndex).padStart(2, '0')}-${name}.png`);
  // From the top: a full-page shot of a scrolled page draws the sticky header in the middle.
  await page.evaluate(() => window.scrollTo(0, 0)).catch(() => undefined);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Waits until `check` returns a truthy value (polling), or fails with `what` and the last value seen. */
export async function waitFor<T>(what: string, check: () => Promise<T> | T, timeoutMs: number, everyMs = 500): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await check();
      if (last) return last as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
