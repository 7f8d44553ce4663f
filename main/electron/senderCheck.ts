/**
 * Which IPC messages main answers: only those from the app's own window, from its main frame, showing the app's
 * own page (a file:// URL inside the built renderer). Pure, so it is tested without Electron.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface IpcSender {
  webContentsId: number;
  /** The URL of the frame that sent the message (null when the frame is gone). */
  frameUrl: string | null;
  isMainFrame: boolean;
}

export function isTrustedSender(sender: IpcSender, trusted: { webContentsId: number | null; rendererDir: string }): boolean {
  if (trusted.webContentsId === null || sender.webContentsId !== trusted.webContentsId || !sender.isMainFrame || !sender.frameUrl) return false;
  let url: URL;
  try {
    url = new URL(sender.frameUrl);
  } catch {
    return false;
  }
  if (url.protocol !== 'file:') return false;
  const rel = path.relative(path.resolve(trusted.rendererDir), fileURLToPath(url));
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Whether a request of the window may go out: only files of the built renderer, and inline data. */
export function isAllowedRequest(url: string, rendererDir: string): boolean {
  if (url.startsWith('data:') || url.startsWith('blob:') || url.startsWith('devtools:')) return true;
  try {
    const u = new URL(url);
    if (u.protocol !== 'file:') return false;
    const rel = path.relative(path.resolve(rendererDir), fileURLToPath(u));
    return !rel.startsWith('..') && !path.isAbsolute(rel);
  } catch {
    return false;
  }
}
