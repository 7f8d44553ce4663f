import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { isAlive } from '../../../engine/protocol/jobLock.js';
import { readJournal } from '../../../engine/search/journal.js';
import type { AppEvent } from '../../../main/common/appApi.js';
import { contentSecurityPolicy, startAppServer, type RunningServer } from '../../../main/server/appServer.js';
import { AppServices } from '../../../main/services/appServices.js';
import { REPO_ROOT, otherDeviceProfile, quadrantImageFolder, tempDir, waitFor } from '../../helpers/appFixtures.js';

/** A job's budget plus a few engine starts; a machine busy with other tests takes several times longer. */
const JOB_TEST_TIMEOUT_MS = 300_000;

const TOKEN = 'test-token-0123456789abcdef';

/** A raw request (no URL normalisation, any Host header). */
function request(port: number, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: { host: `127.0.0.1:${port}`, ...opts.headers } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

function call(port: number, method: string, args: unknown[], token: string | null = TOKEN): Promise<{ status: number; json: unknown }> {
  return request(port, { method: 'POST', path: `/api/${method}`, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(args) }).then((r) => ({ status: r.status, json: JSON.parse(r.body) }));
}

/** Opens the events socket: resolves with the socket, or rejects with the HTTP status that refused it. */
function events(port: number, query: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/events${query}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('app server (in process)', () => {
  let services: AppServices;
  let server: RunningServer;
  let port: number;

  beforeAll(async () => {
    const dist = path.join(await tempDir('dist'), 'dist');
    await mkdir(path.join(dist, 'assets'), { recursive: true });
    await writeFile(path.join(dist, 'index.html'), '<!doctype html><title>NetSprout</title><script type="module" src="./assets/app.js"></script>');
    await writeFile(path.join(dist, 'assets', 'app.js'), 'console.log("app")');
    services = await AppServices.create({ home: await tempDir('server'), appRoot: REPO_ROOT, platform: { mode: 'browser' } });
    server = await startAppServer({ api: services, token: TOKEN, rendererDir: dist, port: 0 });
    port = server.port;
  });
  afterAll(async () => {
    await server.close();
    await services.close();
  });

  it('listens on 127.0.0.1 only and refuses any other address', async () => {
    expect((server.server.address() as AddressInfo).address).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${port}/?token=${TOKEN}`);
    await expect(startAppServer({ api: services, token: TOKEN, rendererDir: '/nowhere', host: '0.0.0.0' })).rejects.toThrow(/only the loopback/);
  });

  it('refuses every route without the token, static files included, and serves them with it', async () => {
    const routes = [
      { method: 'GET', path: '/' },
      { method: 'GET', path: '/assets/app.js' },
      { method: 'GET', path: '/missing.js' },
      { method: 'POST', path: '/api/listProjects' },
      { method: 'POST', path: '/api/noSuchCall' },
    ];
    for (const r of routes) {
      const refusals: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong-token-0123456789abcd' }, { cookie: `netsprout-token-${port}=nope` }];
      for (const headers of refusals) {
        const res = await request(port, { ...r, headers: { 'content-type': 'application/json', ...headers }, body: r.method === 'POST' ? '[]' : undefined });
        expect(res.status, `${r.method} ${r.path}`).toBe(401);
        expect(res.body).not.toContain('app');
      }
    }
    const page = await request(port, { path: `/?token=${TOKEN}`, headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>NetSprout</title>');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    const cookie = String(page.headers['set-cookie']).split(';')[0];
    expect(String(page.headers['set-cookie'])).toMatch(/HttpOnly; SameSite=Strict/);
    // The page's later requests carry the cookie the first one set.
    const asset = await request(port, { path: '/assets/app.js', headers: { cookie } });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/text\/javascript/);
    expect((await request(port, { path: '/missing.js', headers: { cookie } })).status).toBe(404);
    expect((await request(port, { path: '/%2e%2e/%2e%2e/package.json', headers: { cookie } })).status).toBe(404);
    expect((await call(port, 'listProjects', [])).status).toBe(200);
    // Refused: another host name (DNS rebinding), another site's origin, the API by GET.
    expect((await request(port, { path: '/', headers: { cookie, host: 'attacker.example:80' } })).status).toBe(403);
    expect((await request(port, { method: 'POST', path: '/api/listProjects', headers: { cookie, origin: 'https://attacker.example', 'content-type': 'application/json' }, body: '[]' })).status).toBe(403);
    expect((await request(port, { path: '/api/listProjects', headers: { cookie } })).status).toBe(405);
  });

  it('sends a policy in which every source is valid (no IPv6 literal a browser would report on every page)', () => {
    for (const port of [80, 8123, 65535]) {
      const policy = contentSecurityPolicy(port);
      const keyword = /^'(self|none|unsafe-inline)'$/;
      const scheme = /^(data|blob):$/;
      // CSP host-source: scheme://host[:port] with a host of letters, digits, dots and dashes (no [::1]).
      const host = /^(https?|wss?):\/\/[a-z0-9.-]+(:\d{1,5})?$/;
      for (const directive of policy.split(';').map((d) => d.trim().split(/\s+/))) {
        expect(directive[0]).toMatch(/^[a-z-]+$/);
        for (const source of directive.slice(1)) expect(source, `${directive[0]} ${source}`).toMatch(new RegExp(`${keyword.source}|${scheme.source}|${host.source}`));
      }
      expect(policy).not.toContain('[');
      expect(policy).toContain(`ws://127.0.0.1:${port}`);
    }
  });

  it('requires the token on the events WebSocket and pushes events to it', async () => {
    await expect(events(port, '')).rejects.toThrow(/refused 401/);
    await expect(events(port, '?token=wrong')).rejects.toThrow(/refused 401/);
    await expect(events(port, `?token=${TOKEN}`, { origin: 'https://attacker.example' })).rejects.toThrow(/refused 403/);
    const ws = await events(port, `?token=${TOKEN}`);
    const got: AppEvent[] = [];
    ws.on('message', (m) => got.push(JSON.parse(String(m))));
    const data = await quadrantImageFolder(8, 21);
    expect((await call(port, 'createProject', [{ name: 'Over the wire', dataPath: data }])).status).toBe(200);
    await waitFor(() => got.some((e) => e.type === 'projects'), 5000, 'a projects event');
    ws.close();
  });

  it('answers wrong calls with clear errors: which argument, what is wrong, how to fix', async () => {
    const bad = await call(port, 'getProject', [42]);
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error: { code: 'API_BAD_ARGUMENTS', message: expect.stringMatching(/^getProject was called with wrong arguments: 0: .*string/), hint: expect.stringMatching(/appApi\.ts/), files: [] } });
    const missing = await call(port, 'startJob', [{ projectId: 'p-1', budget: 'forever', target: { target: 'cpu' } }]);
    expect(missing.status).toBe(400);
    expect((missing.json as { error: { message: string } }).error.message).toMatch(/0\.budget/);
    expect((await call(port, 'createProject', [])).status).toBe(400);
    expect((await call(port, 'listProjects', ['extra'])).status).toBe(400);
    expect(await call(port, 'noSuchCall', [])).toMatchObject({ status: 404, json: { error: { code: 'API_UNKNOWN_METHOD' } } });
    expect(await call(port, 'getProject', ['p-none'])).toMatchObject({ status: 404, json: { error: { code: 'PROJECT_MISSING', message: 'There is no project p-none.' } } });
    const text = await request(port, { method: 'POST', path: '/api/listProjects', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' }, body: '[]' });
    expect(text.status).toBe(415);
    const json = await request(port, { method: 'POST', path: '/api/listProjects', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '[' });
    expect(json.status).toBe(400);
    expect(JSON.parse(json.body).error.code).toBe('API_BAD_JSON');
    // An argument left out in the middle arrives as null (JSON has no undefined) and means "not given".
    const listing = await call(port, 'browseFolder', [null]);
    expect(listing.status).toBe(200);
  });

  it('says how to build the user interface when it is missing', async () => {
    const other = await startAppServer({ api: services, token: TOKEN, rendererDir: path.join(await tempDir('nodist'), 'dist'), port: 0 });
    try {
      const res = await request(other.port, { path: `/?token=${TOKEN}`, headers: { accept: 'text/html' } });
      expect(res.status).toBe(503);
      expect(res.body).toMatch(/npm run build:renderer/);
    } finally {
      await other.close();
    }
  });
});

describe('netsprout serve (process)', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  function serve(home: string): Promise<{ child: ChildProcess; port: number; token: string; stdout: () => string; stderr: () => string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'netsprout.mjs'), 'serve', '--port', '0'], { env: { ...process.env, NETSPROUT_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let out = '';
      let err = '';
      child.stdout!.on('data', (d) => {
        out += d;
        const m = /^NetSprout is running at http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]{32})\n$/.exec(out);
        if (m) resolve({ child, port: Number(m[1]), token: m[2], stdout: () => out, stderr: () => err });
      });
      child.stderr!.on('data', (d) => (err += d));
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}${err}`)));
    });
  }

  it('prints one line with the address and token; killed mid-run and started again, it keeps every project and job, and the job resumes', async () => {
    const home = await tempDir('serve');
    const first = await serve(home);
    const { port, token } = first;
    const data = await quadrantImageFolder(120, 23);
    const projects = (await call(port, 'listProjects', [], token)).json as Array<{ isSample: boolean; name: string }>;
    expect(projects.map((p) => p.isSample)).toEqual([true]);
    const created = (await call(port, 'createProject', [{ name: 'Quadrants', dataPath: data }], token)).json as { id: string };
    const device = (await call(port, 'importDeviceProfile', [await otherDeviceProfile(path.join(home, 'board.json'))], token)).json as { target: string };
    const ws = await events(port, `?token=${token}`);
    const got: AppEvent[] = [];
    ws.on('message', (m) => got.push(JSON.parse(String(m))));
    const job = (await call(port, 'startJob', [{ projectId: created.id, budget: { seconds: 60 }, target: { target: device.target } }], token)).json as { id: string; status: string; jobDir: string };
    expect(job.status).toBe('running');
    await waitFor(() => got.some((e) => e.type === 'job' && e.event.type === 'candidate'), 90_000, 'a first candidate');
    const enginePid = Number(readFileSync(path.join(job.jobDir, 'engine.pid'), 'utf8'));

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('close', r));
    expect(first.stdout().trim().split('\n')).toHaveLength(1);
    // The engine it left behind stops by itself (the app went away), keeping its journal.
    await waitFor(() => !isAlive(enginePid), 40_000, 'the orphaned engine to stop');
    const before = readJournal(path.join(job.jobDir, 'journal.jsonl')).events.filter((e) => e.type === 'candidate').map((e) => e.id);
    expect(before.length).toBeGreaterThanOrEqual(1);

    const second = await serve(home);
    expect(second.token).not.toBe(token);
    expect((await call(second.port, 'listProjects', [], token)).status).toBe(401);
    const again = (await call(second.port, 'listProjects', [], second.token)).json as Array<{ id: string; lastJob: { id: string; status: string } | null }>;
    expect(again.map((p) => p.id)).toContain(created.id);
    expect(again.find((p) => p.id === created.id)!.lastJob).toMatchObject({ id: job.id, status: 'interrupted' });
    const info = (await call(second.port, 'getAppInfo', [], second.token)).json as { notices: string[]; mode: string };
    expect(info.mode).toBe('browser');
    expect(info.notices.join(' ')).toMatch(/marked interrupted/);
    const detail = (await call(second.port, 'getJob', [job.id], second.token)).json as { status: string; leaderboard: Array<{ id: string }> };
    expect(detail.status).toBe('interrupted');
    expect(detail.leaderboard.map((r) => r.id).sort()).toEqual([...before].map(String).sort());

    const ws2 = await events(second.port, `?token=${second.token}`);
    const got2: AppEvent[] = [];
    ws2.on('message', (m) => got2.push(JSON.parse(String(m))));
    expect(((await call(second.port, 'resumeJob', [job.id], second.token)).json as { status: string }).status).toBe('running');
    await waitFor(() => got2.some((e) => e.type === 'job' && e.event.type === 'progress'), 60_000, 'the resumed job to train');
    expect(((await call(second.port, 'cancelJob', [job.id], second.token)).json as { status: string }).status).toBe('cancelled');
    const after = readJournal(path.join(job.jobDir, 'journal.jsonl')).events.filter((e) => e.type === 'candidate').map((e) => e.id);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(new Set(after).size).toBe(after.length);
    expect(readJournal(path.join(job.jobDir, 'journal.jsonl')).events.filter((e) => e.type === 'resumed')).toHaveLength(1);
    ws.close();
    ws2.close();
    second.child.kill('SIGTERM');
    const code = await new Promise((r) => second.child.once('close', r));
    expect(code).toBe(0);
    expect(existsSync(path.join(home, 'netsprout.lock'))).toBe(false);
    expect(second.stderr()).toBe('');
  }, JOB_TEST_TIMEOUT_MS);
});
