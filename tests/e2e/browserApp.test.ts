/**
 * The app end to end in a browser: `netsprout serve` in a child process with its own data folder, Debian's
 * Chromium driven by playwright-core. One small generated picture dataset goes through the whole wizard with a
 * custom 2-minute budget; the run survives its engine being killed (interrupted, then Resume) and the server being
 * killed and started again (every project and job kept); it ends in results, "try it", and an ONNX export that
 * loads in onnxruntime-node. A bad dataset shows its findings; the token is required; no request leaves the
 * machine. Every step is saved as a screenshot under test-artifacts/e2e/.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHROMIUM,
  QUADRANT_CLASSES,
  enginePids,
  ensureRendererBuilt,
  launchChromium,
  recordPageProblems,
  recordRequests,
  screenshot,
  startServe,
  waitFor,
  writeBadDataset,
  writeQuadrantDataset,
  writeQuadrantPng,
  type ServeProcess,
} from './e2eSupport.js';

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`browser e2e skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set NETSPROUT_E2E_CHROMIUM)`);

const BUDGET_MINUTES = 2;

/** Waits for `wanted`; if an error panel shows instead, fails with what it says. */
async function shownOrFailed(wanted: Locator, failure: Locator, what: string, timeout: number): Promise<void> {
  await wanted.or(failure).first().waitFor({ timeout });
  if (await failure.count()) throw new Error(`${what} failed in the UI: ${(await failure.first().textContent())?.replace(/\s+/g, ' ')}`);
}

describe.skipIf(!haveChromium)('the app in a browser', () => {
  let root: string;
  let home: string;
  let server: ServeProcess;
  let context: BrowserContext;
  let page: Page;
  let requests: string[];
  let problems: string[];
  /** Every server port used (the server is started twice). */
  const ports: number[] = [];
  /** Engine processes seen, to be sure none outlives the tests. */
  const engines = new Set<number>();
  let jobId = '';

  const status = () => page.locator('h1 [data-status]').first().getAttribute('data-status');
  const serverEnv = () => ({ HOME: path.join(root, 'user-home') });

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'netsprout-e2e-'));
    home = path.join(root, 'home');
    await Promise.all([ensureRendererBuilt(), writeQuadrantDataset(path.join(root, 'data', 'quadrants')), writeBadDataset(path.join(root, 'data', 'bad-pictures'))]);
    await mkdir(path.join(root, 'exports'), { recursive: true });
    // The server's home folder is the test's too: its folder browser starts there and default exports land there.
    await mkdir(path.join(root, 'user-home'), { recursive: true });
    server = await startServe(home, { env: serverEnv() });
    ports.push(server.port);
    context = await launchChromium(path.join(root, 'chromium-profile'));
    requests = recordRequests(context);
    page = context.pages()[0] ?? (await context.newPage());
    problems = recordPageProblems(page);
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    await server?.stop();
    for (const pid of engines) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('refuses every request without the token, and the page says so', async () => {
    const api = await fetch(`${server.origin}/api/listProjects`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    expect(api.status).toBe(401);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('TOKEN_REQUIRED');
    const wrong = await fetch(`${server.origin}/api/listProjects?token=not-the-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    expect(wrong.status).toBe(401);

    // A browser without the token (a context of its own: no cookie) gets a page that says what is missing.
    const bare = await launchChromium(path.join(root, 'chromium-profile-no-token'));
    const p = bare.pages()[0] ?? (await bare.newPage());
    const res = await p.goto(`${server.origin}/`);
    expect(res?.status()).toBe(401);
    await expect.poll(() => p.textContent('body')).toContain('access token');
    await screenshot(p, 'no-token');
    await bare.close();
  });

  it('shows the findings of a dataset that cannot be used', async () => {
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Your projects' }).waitFor();
    await page.locator('[data-testid=project]').first().waitFor();
    await screenshot(page, 'projects');
    // The bundled sample is offered as a first project.
    await expect.poll(() => page.locator('[data-testid=project]').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('Sample')]));

    await page.getByRole('link', { name: 'New project' }).first().click();
    await page.fill('#data-path', path.join(root, 'data', 'bad-pictures'));
    await page.getByRole('button', { name: 'Check' }).click();
    const findings = page.locator('[data-testid=findings]');
    await findings.locator('li.error').first().waitFor({ timeout: 60_000 });
    const text = (await findings.textContent()) ?? '';
    expect(text).toContain('dogs');
    expect(text).toMatch(/Fix:/);
    expect(await page.locator('[data-testid=findings] [data-finding-code]').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('wizard-next').isDisabled()).toBe(true);
    await screenshot(page, 'bad-data-findings');
  }, 90_000);

  it('goes through the wizard (data, budget, target, review) and starts a 2-minute run', async () => {
    await page.goto(`${server.url}#/new`);
    // Data: picked with the server-side folder browser, as a browser user would.
    await page.getByRole('button', { name: 'Browse folders…' }).click();
    await page.fill('#fb-path', path.join(root, 'data'));
    await page.locator('form.pathbar button[type=submit]').click();
    await page.locator('[data-entry="quadrants"]').click();
    await expect.poll(() => page.inputValue('#fb-path')).toBe(path.join(root, 'data', 'quadrants'));
    await screenshot(page, 'folder-browser');
    await page.getByTestId('folder-browser-choose').click();
    const facts = page.getByTestId('data-facts');
    await facts.waitFor({ timeout: 60_000 });
    expect(await facts.textContent()).toMatch(/160\s*examples/);
    expect(await facts.textContent()).toMatch(/4\s*classes/);
    // The preview shows pictures of every class, and the class balance chart is drawn.
    for (const cls of QUADRANT_CLASSES) expect(await page.locator('.cls', { hasText: cls }).locator('img').count()).toBeGreaterThan(0);
    await page.locator('[data-step=data] canvas').first().waitFor();
    await page.fill('#project-name', 'Quadrants');

    // Every hard word explains itself on keyboard focus (and on hover).
    const term = page.locator('.term', { hasText: 'classes' }).first();
    await term.focus();
    const tipId = await term.getAttribute('aria-describedby');
    const tip = page.locator(`#${tipId}`);
    await expect.poll(() => tip.isVisible()).toBe(true);
    expect(await tip.textContent()).toMatch(/answers the model can give/);
    await screenshot(page, 'data-step-with-explanation');
    await term.blur();
    await page.locator('.term', { hasText: 'Class balance' }).hover();
    await expect.poll(() => page.locator('[role=tooltip].open').count()).toBe(1);

    // Budget: what each choice buys here, measured; then a custom 2 minutes.
    await page.getByTestId('wizard-next').click();
    await page.getByTestId('throughput').waitFor({ timeout: 120_000 });
    expect(await page.locator('[data-budget=try]').textContent()).toMatch(/about \d[\d,]* designs? tried/);
    await page.fill('[data-testid=custom-minutes]', String(BUDGET_MINUTES));
    await page.locator('[data-budget=custom]').click();
    await screenshot(page, 'budget-step');

    // Target: this computer, with limits explained in plain words.
    await page.getByTestId('wizard-next').click();
    await page.locator('[data-target=cpu]').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-target=cpu] input').isChecked()).toBe(true);
    expect(await page.textContent('.limits')).toContain('fast enough for live video: under 30 ms');
    await screenshot(page, 'target-step');

    await page.getByTestId('wizard-next').click();
    expect(await page.textContent('[data-step=review]')).toContain(`${BUDGET_MINUTES} min`);
    // Advanced: every strategy of the engine, each in plain words; the default (automatic) needs no decision.
    await page.locator('details.advanced summary').click();
    const strategies = page.getByTestId('strategy');
    expect(await strategies.inputValue()).toBe('');
    expect((await strategies.locator('option').allTextContents())[0]).toMatch(/Automatic \(the default\)/);
    expect(await strategies.locator('option').count()).toBeGreaterThanOrEqual(10);
    expect(await page.getByTestId('strategy-summary').textContent()).toMatch(/picks a strategy/);
    await screenshot(page, 'review-step');
    // Hill climbing here: several candidates in two minutes, for the leaderboard and the compare view below.
    await strategies.selectOption('hill');
    expect(await page.getByTestId('strategy-summary').textContent()).toMatch(/Grows the best network/);
    await page.getByTestId('start-synthesis').click();
    await page.waitForURL(/#\/job\//, { timeout: 30_000 });
    jobId = /#\/job\/([^/?]+)/.exec(page.url())![1];
    await page.locator('[role=progressbar]').waitFor();
    expect(await page.locator('.head p').first().textContent()).toContain('Hill climbing');
    await screenshot(page, 'run-started');
  }, 300_000);

  it('shows a killed engine as interrupted, and Resume goes on', async () => {
    // Wait for real work: the engine is training (a candidate or its progress is on the page).
    await waitFor('the first candidate', async () => (await page.locator('[data-candidate-id], [data-testid=training-row]').count()) > 0, 180_000);
    const pids = enginePids(server.child.pid!);
    expect(pids.length).toBeGreaterThan(0);
    await screenshot(page, 'run-training');
    for (const pid of pids) process.kill(pid, 'SIGKILL');

    await waitFor('the job to show as interrupted', async () => (await status()) === 'interrupted', 60_000);
    await page.getByTestId('resume').waitFor();
    await screenshot(page, 'engine-killed-interrupted');
    await page.getByTestId('resume').click();
    await waitFor('the job to run again', async () => ['running', 'queued', 'done'].includes((await status()) ?? ''), 60_000);
    await waitFor('a new engine', () => enginePids(server.child.pid!).length > 0 || status().then((s) => s === 'done'), 60_000);
    enginePids(server.child.pid!).forEach((p) => engines.add(p));
  }, 300_000);

  it('keeps every project and job when the server is killed and started again', async () => {
    const before = await page.evaluate(async () => {
      const r = await fetch('/api/listProjects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
      return (await r.json()) as Array<{ id: string; name: string; lastJob: { id: string } | null }>;
    });
    expect(before.map((p) => p.name)).toContain('Quadrants');
    const running = enginePids(server.child.pid!);
    running.forEach((p) => engines.add(p));

    await server.stop('SIGKILL');
    // Its engine notices that the app is gone and stops.
    await waitFor('the orphaned engine to stop', () => running.every((pid) => !existsSync(`/proc/${pid}`)), 60_000);
    await waitFor('the page to notice', async () => (await page.locator('.banner').count()) > 0, 30_000);
    await screenshot(page, 'server-killed');

    // Started again on the same port: a new token, so the open page is refused and says so.
    server = await startServe(home, { port: ports[0], env: serverEnv() });
    await page.locator('[data-testid=access-refused]').waitFor({ timeout: 60_000 });
    await screenshot(page, 'server-restarted-old-token');

    await page.goto(server.url);
    await page.locator('[data-testid=project]').first().waitFor({ timeout: 60_000 });
    const after = await page.evaluate(async () => {
      const r = await fetch('/api/listProjects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
      return (await r.json()) as Array<{ id: string; name: string; lastJob: { id: string; status: string } | null }>;
    });
    expect(after.map((p) => p.id).sort()).toEqual(before.map((p) => p.id).sort());
    const quadrants = after.find((p) => p.name === 'Quadrants')!;
    expect(quadrants.lastJob?.id).toBe(jobId);
    expect(quadrants.lastJob?.status).toBe('interrupted');
    await screenshot(page, 'server-restarted-projects');

    await page.locator('[data-testid=project]', { hasText: 'Quadrants' }).getByRole('button', { name: 'Resume' }).click();
    await page.waitForURL(new RegExp(`#/job/${jobId}$`));
    await waitFor('the job to run again', async () => ['running', 'queued', 'done'].includes((await status()) ?? ''), 60_000);

    // Pause stops it at the next batch (resumable); Resume goes on.
    if ((await status()) !== 'done') {
      await page.getByTestId('pause').click();
      await waitFor('the job to pause', async () => ['paused', 'done'].includes((await status()) ?? ''), 90_000);
      if ((await status()) === 'paused') {
        await screenshot(page, 'paused');
        await page.getByTestId('resume').click();
        await waitFor('the job to run again', async () => ['running', 'queued', 'done'].includes((await status()) ?? ''), 60_000);
      }
    }
  }, 300_000);

  it('finishes within its budget: candidates, charts, architecture, compare', async () => {
    await waitFor('the run to finish', async () => {
      const s = await status();
      if (s === 'failed' || s === 'interrupted') throw new Error(`the job is ${s}: ${await page.locator('[data-testid=job-error]').textContent().catch(() => '')}`);
      return s === 'done';
    }, 480_000, 2000);
    enginePids(server.child.pid!).forEach((p) => engines.add(p));
    await page.locator('[data-candidate-id]').first().waitFor();
    const rows = await page.locator('[data-candidate-id]').count();
    expect(rows).toBeGreaterThan(0);
    // Both charts are drawn.
    expect(await page.locator('.charts canvas').count()).toBe(2);
    // The selected candidate's architecture is drawn by cytoscape, with its legend and its layers as text.
    const arch = page.getByTestId('architecture').first();
    await arch.waitFor({ timeout: 30_000 });
    expect(await arch.locator('canvas').count()).toBeGreaterThan(0);
    expect(await arch.locator('.legend li').count()).toBeGreaterThan(1);
    expect(await arch.locator('details.list tbody tr').count()).toBeGreaterThan(3);
    // Hovering a layer shows its output shape: sweep the top of the drawing (the input layer) with the mouse.
    await arch.locator('.canvas').scrollIntoViewIfNeeded();
    const box = (await arch.locator('.canvas').boundingBox())!;
    await waitFor('a layer under the mouse', async () => {
      for (let dy = 12; dy < 60; dy += 8) {
        for (let dx = 0; dx < box.width; dx += 10) {
          await page.mouse.move(box.x + dx, box.y + dy);
          if (await arch.locator('.hover').count()) return true;
        }
      }
      return false;
    }, 30_000);
    expect(await arch.locator('.hover').textContent()).toMatch(/output shape\s*\d+ × \d+ × \d+/);
    await page.mouse.move(0, 0);
    await screenshot(page, 'run-done');

    if (rows >= 2) {
      const boxes = page.locator('[data-candidate-id] input[type=checkbox]');
      await boxes.nth(0).check();
      await boxes.nth(1).check();
      await page.getByTestId('compare').click();
      await page.getByTestId('compare-table').waitFor({ timeout: 30_000 });
      expect(await page.locator('[data-testid=compare-table] thead th').count()).toBe(3);
      await screenshot(page, 'compare');
      await page.goBack();
    }
  }, 600_000);

  it('shows the results, answers "try it", and exports ONNX that loads in onnxruntime-node', async () => {
    await page.goto(`${server.url}#/job/${jobId}/results`);
    await page.getByTestId('results-accuracy').waitFor({ timeout: 120_000 });
    const accuracy = Number(((await page.getByTestId('results-accuracy').textContent()) ?? '').replace('%', ''));
    expect(accuracy).toBeGreaterThan(25); // four classes: better than chance
    expect(await page.locator('table.cm tbody tr').count()).toBe(4);
    expect(await page.locator('[data-testid=sample-prediction]').count()).toBeGreaterThan(0);
    await screenshot(page, 'results');

    const picture = path.join(root, 'try-top-left.png');
    await writeQuadrantPng(picture, 0);
    await page.getByTestId('try-it-input').setInputFiles(picture);
    await shownOrFailed(page.getByTestId('try-it-label'), page.locator('.tryit [role=alert]'), 'try it', 120_000);
    expect(QUADRANT_CLASSES).toContain((await page.getByTestId('try-it-label').textContent())?.trim());
    await screenshot(page, 'try-it');

    // ONNX only, into a folder picked with the folder browser.
    await page.locator('.fmt', { hasText: 'Keras' }).locator('input').uncheck();
    await page.locator('.fmt', { hasText: 'TF.js' }).locator('input').uncheck();
    await page.getByTestId('export-folder').click();
    await page.fill('#fb-path', path.join(root, 'exports'));
    await page.locator('form.pathbar button[type=submit]').click();
    await expect.poll(() => page.inputValue('#fb-path')).toBe(path.join(root, 'exports'));
    await page.getByTestId('folder-browser-choose').click();
    await page.getByTestId('export').click();
    const done = page.getByTestId('export-result');
    await shownOrFailed(done, page.locator('.export [role=alert]'), 'the export', 240_000);
    const outDir = (await done.getAttribute('data-out-dir'))!;
    expect(path.dirname(outDir)).toBe(path.join(root, 'exports'));
    expect(readdirSync(outDir)).toEqual(expect.arrayContaining(['model.onnx', 'preprocessing.json']));
    await screenshot(page, 'exported');

    // The model card opens in the page, in a sandboxed frame, though the browser is not on the server's machine.
    await page.getByTestId('open-model-card').click();
    const card = page.frameLocator('[data-testid=model-card-frame]');
    await card.locator('h1').waitFor({ timeout: 30_000 });
    expect(await card.locator('body').textContent()).toMatch(/onnxruntime/i);
    expect(await page.getByTestId('model-card-frame').getAttribute('sandbox')).toBe('');
    await screenshot(page, 'model-card');
    await page.locator('dialog[open]').getByRole('button', { name: 'Close', exact: true }).click();

    // The file loads in ONNX Runtime and answers a picture made as preprocessing.json says: four class scores.
    const doc = JSON.parse(readFileSync(path.join(outDir, 'preprocessing.json'), 'utf8')) as { input: { name: string; shape: Array<number | null> }; classes: string[] };
    expect(doc.classes.sort()).toEqual([...QUADRANT_CLASSES].sort());
    const session = await ort.InferenceSession.create(path.join(outDir, 'model.onnx'));
    expect(session.inputNames).toContain(doc.input.name);
    const dims = doc.input.shape.map((d) => d ?? 1);
    const input = new ort.Tensor('float32', new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(60), dims);
    const out = await session.run({ [doc.input.name]: input });
    const probs = out[session.outputNames[0]].data as Float32Array;
    expect(probs.length).toBe(4);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
  }, 600_000);

  it('made no request that left the machine', () => {
    expect(requests.length).toBeGreaterThan(20);
    const outside = requests.filter((u) => {
      if (/^(data|blob|about):/.test(u)) return false;
      const url = new URL(u);
      return url.hostname !== '127.0.0.1' || !ports.concat(server.port).includes(Number(url.port));
    });
    expect(outside).toEqual([]);
    expect(problems.filter((p) => p.startsWith('pageerror'))).toEqual([]);
    // The page's policy is valid and nothing the app does breaks it.
    expect(problems.filter((p) => /Content Security Policy|Content-Security-Policy/i.test(p))).toEqual([]);
  });
});
