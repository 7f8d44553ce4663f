/**
 * The preload of the NetSprout window (bundled to one CommonJS file: a sandboxed preload may require only
 * `electron`). It exposes `window.netsprout`: one named function per AppApi call, each invoking its own channel,
 * plus onEvent, and pathForFile for files dropped on the page. Nothing generic (no raw invoke, no ipcRenderer).
 * A failed call rejects with the plain AppError object ({code, message, hint, files}).
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { AppApi, AppApiMethod, AppEvent, IPC_EVENT_CHANNEL, IPC_PREFIX, PRELOAD_GLOBAL } from '../common/appApi.js';

// The binding's names (main/common/appApi.ts), restated so that the preload does not bundle the schemas.
const PREFIX: typeof IPC_PREFIX = 'netsprout:';
const EVENTS: typeof IPC_EVENT_CHANNEL = 'netsprout:event';
const GLOBAL: typeof PRELOAD_GLOBAL = 'netsprout';

type Envelope = { ok: true; value: unknown } | { ok: false; error: unknown };

async function call<T>(method: AppApiMethod, ...args: unknown[]): Promise<T> {
  const r = (await ipcRenderer.invoke(`${PREFIX}${method}`, ...args)) as Envelope;
  if (r.ok) return r.value as T;
  throw r.error;
}

const api: AppApi & { pathForFile(file: File): string } = {
  getAppInfo: () => call('getAppInfo'),
  listProjects: () => call('listProjects'),
  getProject: (projectId) => call('getProject', projectId),
  createProject: (p) => call('createProject', p),
  renameProject: (projectId, name) => call('renameProject', projectId, name),
  deleteProject: (projectId) => call('deleteProject', projectId),
  inspectData: (p) => call('inspectData', p),
  estimateBudget: (projectId) => call('estimateBudget', projectId),
  listTargets: () => call('listTargets'),
  importDeviceProfile: (file) => call('importDeviceProfile', file),
  startJob: (p) => call('startJob', p),
  pauseJob: (jobId) => call('pauseJob', jobId),
  resumeJob: (jobId) => call('resumeJob', jobId),
  cancelJob: (jobId) => call('cancelJob', jobId),
  getJob: (jobId) => call('getJob', jobId),
  getCandidate: (jobId, candidateId) => call('getCandidate', jobId, candidateId),
  getResults: (jobId, candidateId) => call('getResults', jobId, candidateId),
  predictFiles: (jobId, candidateId, files) => call('predictFiles', jobId, candidateId, files),
  predictUpload: (jobId, candidateId, file) => call('predictUpload', jobId, candidateId, file),
  exportModel: (jobId, p) => call('exportModel', jobId, p),
  getModelCard: (exportId) => call('getModelCard', exportId),
  showInFolder: (p) => call('showInFolder', p),
  pickPath: (p) => call('pickPath', p),
  browseFolder: (p) => call('browseFolder', p),
  getSettings: () => call('getSettings'),
  updateSettings: (p) => call('updateSettings', p),
  onEvent(listener: (e: AppEvent) => void) {
    const handler = (_e: IpcRendererEvent, event: AppEvent) => listener(event);
    ipcRenderer.on(EVENTS, handler);
    return () => {
      ipcRenderer.removeListener(EVENTS, handler);
    };
  },
  pathForFile: (file) => webUtils.getPathForFile(file),
};

contextBridge.exposeInMainWorld(GLOBAL, api);
