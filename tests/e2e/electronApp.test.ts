/**
 * The desktop app end to end, with Playwright's Electron driver: the same wizard on a small generated picture
 * dataset with a custom 2-minute budget, through the results to an ONNX export that loads in onnxruntime-node,
 * with every request of the window kept on the machine (its own files). Electron's binary is downloaded by its npm
 * package from outside the npm registry; where it is not installed (CI, this repository's machines) the test is
 * skipped and says why.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { _electron as electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUADRANT_CLASSES, REPO, ensureRendererBuilt, screenshot, waitFor, writeQuadrantDataset, writeQuadrantPng } from './e2eSupport.js';

/** Electron's executable as main/electron/launch.mjs finds it, or why there is none. */
function electronBinary(): { exe: string } | { missing: string } {
  const pkg = path.join(REPO, 'node_modules', 'electron');
  if (!existsSync(path.join(pkg, 'package.json'))) return { missing: 'the electron package is not installed (npm install)' };
  const pathFile = path.join(pkg, 'path.txt');
  const exe = existsSync(pathFile) ? path.join(pkg, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
  if (!exe || !existsSync(exe)) {
    return { missing: 'the Electron binary is not installed (node_modules/electron/dist is missing: it downloads from outside the npm registry, skipped with ELECTRON_SKIP_BINARY_DOWNLOAD=1 or without internet access; `npx install-electron` fetches it where that is possible)' };
  }
  return { exe };
}

const found = electronBinary();
if ('missing' in found) console.warn(`Electron e2e skipped: ${found.missing}. The same flow runs in a browser in tests/e2e/browserApp.test.ts.`);

describe.skipIf('missing' in found)('the desktop app (Electron)', () => {
  let root: string;
  let app: ElectronApplication;
  let win: Page;
  const requests: string[] = [];

  const status = () => win.locator('h1 [data-status]').first().getAttribute('data-status');

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'netsprout-e2e-electron-'));
    await Promise.all([ensureRendererBuilt(), writeQuadrantDataset(path.join(root, 'data', 'quadrants'))]);
    execFileSync(process.execPath, [path.join(REPO, 'main', 'electron', 'build.mjs')], { cwd: REPO, stdio: 'pipe' });
    mkdirSync(path.join(root, 'user-home'), { recursive: true });
    const args = [REPO, ...(process.platform === 'linux' && process.getuid?.() === 0 ? ['--no-sandbox'] : [])];
    // HOME too: native dialogs and default exports stay inside the test's folder.
    const env = { ...process.env, NETSPROUT_HOME: path.join(root, 'home'), HOME: path.join(root, 'user-home') } as Record<string, string>;
    delete env.ELECTRON_RUN_AS_NODE;
    app = await electron.launch({ executablePath: (found as { exe: string }).exe, args, env, cwd: REPO });
    app.context().on('request', (r) => requests.push(r.url()));
    win = await app.firstWindow();
    await win.setViewportSize({ width: 1280, height: 900 }).catch(() => undefined);
  }, 240_000);

  afterAll(async () => {
    await app?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('runs the wizard with a 2-minute budget, through the results, to an ONNX export that loads', async () => {
    await win.getByRole('heading', { name: 'Your projects' }).waitFor({ timeout: 60_000 });
    expect(await win.evaluate(() => typeof (window as unknown as { netsprout?: unknown }).netsprout)).toBe('object');
    // The window has no Node: no require, no process.
    expect(await win.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
    await screenshot(win, 'electron-projects');

    await win.getByRole('link', { name: 'New project' }).first().click();
    await win.fill('#data-path', path.join(root, 'data', 'quadrants'));
    await win.getByRole('button', { name: 'Check' }).click();
    await win.getByTestId('data-facts').waitFor({ timeout: 60_000 });
    expect(await win.getByTestId('data-facts').textContent()).toMatch(/160\s*examples/);
    await win.fill('#project-name', 'Quadrants (desktop)');
    await screenshot(win, 'electron-data');
    await win.getByTestId('wizard-next').click();
    await win.getByTestId('throughput').waitFor({ timeout: 120_000 });
    await win.fill('[data-testid=custom-minutes]', '2');
    await win.locator('[data-budget=custom]').click();
    await win.getByTestId('wizard-next').click();
    await win.locator('[data-target=cpu]').waitFor({ timeout: 60_000 });
    await win.getByTestId('wizard-next').click();
    await screenshot(win, 'electron-review');
    await win.getByTestId('start-synthesis').click();
    await win.waitForURL(/#\/job\//, { timeout: 30_000 });
    const jobId = /#\/job\/([^/?]+)/.exec(win.url())![1];

    await waitFor('the run to finish', async () => {
      const s = await status();
      if (s === 'failed' || s === 'interrupted') throw new Error(`the job is ${s}`);
      return s === 'done';
    }, 480_000, 2000);
    await screenshot(win, 'electron-run-done');

    await win.getByTestId('see-results').click();
    await win.getByTestId('results-accuracy').waitFor({ timeout: 120_000 });
    const picture = path.join(root, 'try.png');
    await writeQuadrantPng(picture, 0);
    await win.getByTestId('try-it-input').setInputFiles(picture);
    await win.getByTestId('try-it-label').waitFor({ timeout: 120_000 });
    expect(QUADRANT_CLASSES).toContain((await win.getByTestId('try-it-label').textContent())?.trim());
    await screenshot(win, 'electron-results');

    // Native dialogs cannot be driven: the default export folder is moved into the test's folder instead.
    const exportsDir = path.join(root, 'exports');
    await win.evaluate((dir) => (window as unknown as { netsprout: { updateSettings(p: { defaultExportDir: string }): Promise<unknown> } }).netsprout.updateSettings({ defaultExportDir: dir }), exportsDir);
    await win.locator('.fmt', { hasText: 'Keras' }).locator('input').uncheck();
    await win.locator('.fmt', { hasText: 'TF.js' }).locator('input').uncheck();
    await win.getByTestId('export').click();
    const done = win.getByTestId('export-result');
    await done.waitFor({ timeout: 240_000 });
    const outDir = (await done.getAttribute('data-out-dir'))!;
    expect(outDir.startsWith(exportsDir)).toBe(true);
    expect(readdirSync(outDir)).toContain('model.onnx');
    await screenshot(win, 'electron-exported');

    const doc = JSON.parse(readFileSync(path.join(outDir, 'preprocessing.json'), 'utf8')) as { input: { name: string; shape: Array<number | null> } };
    const session = await ort.InferenceSession.create(path.join(outDir, 'model.onnx'));
    const dims = doc.input.shape.map((d) => d ?? 1);
    const out = await session.run({ [doc.input.name]: new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(60), dims) });
    expect((out[session.outputNames[0]].data as Float32Array).length).toBe(4);
    expect(jobId).toBeTruthy();

    // The window loaded only the app's own files (and inline images): nothing from the network.
    const outside = requests.filter((u) => !/^(file|data|blob|devtools|about):/.test(u));
    expect(outside).toEqual([]);
  }, 900_000);
});
