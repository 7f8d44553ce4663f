/**
 * The desktop app's main process: one secure window showing the built renderer, the app services bound to ipcMain,
 * native dialogs and "show in folder". The window runs sandboxed with context isolation and no Node; it may not
 * navigate, open windows, load anything but the app's own files, or ask for permissions; every IPC call is checked
 * for its sender and its arguments. Search jobs and every heavy task run in engine processes (Electron's binary as
 * Node). Bundled by main/electron/build.mjs into out/main/.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserWindow, Menu, app, dialog, ipcMain, session, shell } from 'electron';
import { IPC_EVENT_CHANNEL, type AppEvent } from '../common/appApi.js';
import { defaultDataFolder } from '../services/appLocations.js';
import { AppServices, appVersion } from '../services/appServices.js';
import { buildAppMenu } from './appMenu.js';
import { registerIpcHandlers } from './ipcHandlers.js';
import { isAllowedRequest, isTrustedSender } from './senderCheck.js';

const OUT_DIR = path.dirname(fileURLToPath(import.meta.url));
const PRELOAD = path.join(OUT_DIR, '..', 'preload', 'preload.cjs');
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-src 'none'";

// The same data folder as `netsprout serve` (NETSPROUT_HOME overrides it); Chromium's own files go in a sub-folder.
const HOME = defaultDataFolder();
app.setName('NetSprout');
app.setPath('sessionData', path.join(HOME, 'chromium'));

let mainWindow: BrowserWindow | null = null;
let services: AppServices | null = null;

function fatal(title: string, e: unknown): void {
  const err = e as { message?: string; hint?: string };
  dialog.showErrorBox(title, [err.message ?? String(e), err.hint ?? ''].filter(Boolean).join('\n\n'));
  app.exit(1);
}

function lockDownSession(rendererDir: string): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  // No remote content: the window may load the app's own files and inline data, nothing else.
  ses.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedRequest(details.url, rendererDir) }));
  ses.webRequest.onHeadersReceived((details, callback) => callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } }));
}

function createWindow(rendererDir: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 860,
    minWidth: 900,
    minHeight: 600,
    title: 'NetSprout',
    show: false,
    backgroundColor: '#ffffff',
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.webContents.on('will-navigate', (e) => e.preventDefault());
  win.webContents.on('will-redirect', (e) => e.preventDefault());
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  void win.loadFile(path.join(rendererDir, 'index.html'));
  return win;
}

async function start(): Promise<void> {
  const appRoot = app.getAppPath();
  const home = HOME;
  try {
    services = await AppServices.create({
      home,
      appRoot,
      version: appVersion(appRoot),
      launcher: { execPath: process.execPath, runAsNode: true },
      platform: {
        mode: 'desktop',
        async pickPath(p) {
          const opts: Electron.OpenDialogOptions = {
            title: p.title ?? (p.kind === 'folder' ? 'Choose a folder' : 'Choose a file'),
            properties: [p.kind === 'folder' ? 'openDirectory' : 'openFile'],
            ...(p.extensions?.length ? { filters: [{ name: p.extensions.join(', '), extensions: p.extensions.map((x) => x.replace(/^\./, '')) }] } : {}),
          };
          const r = mainWindow ? await dialog.showOpenDialog(mainWindow, opts) : await dialog.showOpenDialog(opts);
          return r.canceled ? null : (r.filePaths[0] ?? null);
        },
        async showInFolder(p) {
          shell.showItemInFolder(p);
          return true;
        },
      },
    });
  } catch (e) {
    fatal('NetSprout could not start', e);
    return;
  }
  const rendererDir = services.locations.rendererDir;
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    fatal('NetSprout could not start', { message: `The user interface has not been built: ${path.join(rendererDir, 'index.html')} is missing.`, hint: 'Run `npm run build:renderer`, or start the app with `npm start`, which builds it.' });
    return;
  }
  lockDownSession(rendererDir);
  registerIpcHandlers(ipcMain, services, (sender) => isTrustedSender(sender, { webContentsId: mainWindow?.webContents.id ?? null, rendererDir }));
  services.onEvent((e: AppEvent) => {
    if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(IPC_EVENT_CHANNEL, e);
  });
  Menu.setApplicationMenu(buildAppMenu({ dataFolder: services.locations.home, isMac: process.platform === 'darwin', devTools: !app.isPackaged }));
  mainWindow = createWindow(rendererDir);
  services.warmUp();
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('web-contents-created', (_e, contents) => {
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
  app.on('window-all-closed', () => app.quit());
  let closing = false;
  app.on('before-quit', (e) => {
    if (closing || !services) return;
    // Running jobs are paused (resumable) before the app goes; their engines stop at the next batch.
    e.preventDefault();
    closing = true;
    void services.close().finally(() => app.quit());
  });
  void app.whenReady().then(start);
}
