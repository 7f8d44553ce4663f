import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppApiArgs } from '../../../main/common/appApi.js';
import { registerIpcHandlers, type IpcInvokeEventLike, type IpcMainLike } from '../../../main/electron/ipcHandlers.js';
import { isAllowedRequest, isTrustedSender } from '../../../main/electron/senderCheck.js';
import { AppServices } from '../../../main/services/appServices.js';
import { REPO_ROOT, quadrantImageFolder, tempDir } from '../../helpers/appFixtures.js';

const rendererDir = path.join(REPO_ROOT, 'renderer', 'dist');
const page = pathToFileURL(path.join(rendererDir, 'index.html')).href;

describe('IPC sender check', () => {
  const trusted = { webContentsId: 7, rendererDir };
  it('accepts only the app window\'s main frame showing the app\'s own page', () => {
    expect(isTrustedSender({ webContentsId: 7, frameUrl: `${page}#/projects`, isMainFrame: true }, trusted)).toBe(true);
    expect(isTrustedSender({ webContentsId: 8, frameUrl: page, isMainFrame: true }, trusted)).toBe(false);
    expect(isTrustedSender({ webContentsId: 7, frameUrl: page, isMainFrame: false }, trusted)).toBe(false);
    expect(isTrustedSender({ webContentsId: 7, frameUrl: null, isMainFrame: true }, trusted)).toBe(false);
    expect(isTrustedSender({ webContentsId: 7, frameUrl: 'https://example.com/', isMainFrame: true }, trusted)).toBe(false);
    expect(isTrustedSender({ webContentsId: 7, frameUrl: pathToFileURL('/etc/passwd').href, isMainFrame: true }, trusted)).toBe(false);
    expect(isTrustedSender({ webContentsId: 7, frameUrl: pathToFileURL(path.join(rendererDir, '..', 'evil.html')).href, isMainFrame: true }, trusted)).toBe(false);
    expect(isTrustedSender({ webContentsId: 7, frameUrl: page, isMainFrame: true }, { ...trusted, webContentsId: null })).toBe(false);
  });

  it('lets the window load only the app\'s files and inline data', () => {
    expect(isAllowedRequest(pathToFileURL(path.join(rendererDir, 'assets', 'index.js')).href, rendererDir)).toBe(true);
    expect(isAllowedRequest('data:image/png;base64,AAAA', rendererDir)).toBe(true);
    expect(isAllowedRequest('https://cdn.example.com/lib.js', rendererDir)).toBe(false);
    expect(isAllowedRequest('ws://127.0.0.1:8000/events', rendererDir)).toBe(false);
    expect(isAllowedRequest(pathToFileURL('/home/user/secret.txt').href, rendererDir)).toBe(false);
  });
});

describe('IPC handlers', () => {
  let services: AppServices;
  const handlers = new Map<string, (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>>();
  const ipc: IpcMainLike = { handle: (c, l) => void handlers.set(c, l), removeHandler: (c) => void handlers.delete(c) };
  const mainFrame = { url: page };
  const fromWindow: IpcInvokeEventLike = { sender: { id: 7, mainFrame }, senderFrame: mainFrame };
  const fromElsewhere: IpcInvokeEventLike = { sender: { id: 9, mainFrame: { url: 'https://evil.example/' } }, senderFrame: { url: 'https://evil.example/' } };

  beforeAll(async () => {
    services = await AppServices.create({ home: await tempDir('ipc'), appRoot: REPO_ROOT, platform: { mode: 'desktop' }, sample: false });
  });
  afterAll(() => services.close());

  it('has one channel per AppApi call, refuses other senders, validates arguments and answers in an envelope', async () => {
    const remove = registerIpcHandlers(ipc, services, (s) => isTrustedSender(s, { webContentsId: 7, rendererDir }));
    expect([...handlers.keys()].sort()).toEqual(Object.keys(AppApiArgs).map((m) => `netsprout:${m}`).sort());
    const data = await quadrantImageFolder(8);
    const created = (await handlers.get('netsprout:createProject')!(fromWindow, { name: 'Quadrants', dataPath: data })) as { ok: true; value: { id: string; name: string } };
    expect(created).toMatchObject({ ok: true, value: { name: 'Quadrants', dataPath: data } });
    expect(await handlers.get('netsprout:listProjects')!(fromElsewhere)).toMatchObject({ ok: false, error: { code: 'IPC_SENDER_REFUSED' } });
    // A frame of the window that is not its main frame (an injected iframe) is refused as well.
    expect(await handlers.get('netsprout:listProjects')!({ sender: { id: 7, mainFrame }, senderFrame: { url: page } })).toMatchObject({ ok: false, error: { code: 'IPC_SENDER_REFUSED' } });
    const bad = (await handlers.get('netsprout:renameProject')!(fromWindow, created.value.id, '')) as { ok: false; error: { code: string; message: string } };
    expect(bad.ok).toBe(false);
    expect(bad.error.code).toBe('API_BAD_ARGUMENTS');
    expect(bad.error.message).toMatch(/^renameProject was called with wrong arguments: 1: /);
    expect(await handlers.get('netsprout:getProject')!(fromWindow, 'p-none')).toMatchObject({ ok: false, error: { code: 'PROJECT_MISSING' } });
    expect(await handlers.get('netsprout:pickPath')!(fromWindow, { kind: 'folder' })).toEqual({ ok: true, value: null });
    remove();
    expect(handlers.size).toBe(0);
  });
});
