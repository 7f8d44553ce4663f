/**
 * The AppApi on ipcMain: one handler per method (channel `netsprout:<method>`), each checking its sender first and
 * its arguments with AppApiArgs (apiDispatch.ts), answering `{ok, value}` or `{ok: false, error}` (the preload turns
 * the latter into a rejected promise with the AppError). Takes ipcMain by its shape only, so it is tested without
 * Electron.
 */
import { AppApiArgs, IPC_PREFIX, type AppApi } from '../common/appApi.js';
import { dispatch } from '../services/apiDispatch.js';
import type { IpcSender } from './senderCheck.js';

export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export interface IpcInvokeEventLike {
  sender: { id: number; mainFrame?: unknown };
  senderFrame: { url: string } | null;
}

export function senderOf(event: IpcInvokeEventLike): IpcSender {
  return { webContentsId: event.sender.id, frameUrl: event.senderFrame?.url ?? null, isMainFrame: !!event.senderFrame && event.senderFrame === event.sender.mainFrame };
}

/** Registers every AppApi method; returns the function that removes them. */
export function registerIpcHandlers(ipcMain: IpcMainLike, api: Omit<AppApi, 'onEvent'>, trusted: (sender: IpcSender) => boolean): () => void {
  const methods = Object.keys(AppApiArgs);
  for (const method of methods) {
    ipcMain.handle(`${IPC_PREFIX}${method}`, async (event, ...args) => {
      if (!trusted(senderOf(event))) {
        return { ok: false, error: { code: 'IPC_SENDER_REFUSED', message: 'This call did not come from the NetSprout window and was refused.', hint: '', files: [] } };
      }
      const out = await dispatch(api, method, args);
      return out.ok ? { ok: true, value: out.value } : { ok: false, error: out.error };
    });
  }
  return () => methods.forEach((m) => ipcMain.removeHandler(`${IPC_PREFIX}${m}`));
}
