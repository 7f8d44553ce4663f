/**
 * The one place that knows how the UI reaches the app: the Electron preload's bridge (`window.netsprout`, one
 * function per AppApi call plus onEvent, PRELOAD_GLOBAL in main/common/appApi.ts) in the desktop app, or
 * HTTP+WebSocket with the token from the page's address in a browser. Components import `api` and see only AppApi; every failure arrives as an AppCallError.
 */
import type { AppApi, AppEvent } from '../../../../main/common/appApi';
import { toAppError, type AppCallError } from './appError';
import { createHttpBinding, type ConnectionState } from './httpBinding';
import { APP_API_METHODS } from './methods';

/** What the Electron preload exposes (contextBridge.exposeInMainWorld('netsprout', ...)). */
export interface DesktopBridge extends AppApi {
  /** The path of a dropped file (Electron's webUtils.getPathForFile), where the preload offers it. */
  pathForFile?: (file: File) => string;
}

declare global {
  interface Window {
    netsprout?: DesktopBridge;
  }
}

export type Binding =
  | { kind: 'desktop'; api: AppApi; pathForFile: ((file: File) => string) | null }
  | { kind: 'browser'; api: AppApi; token: string | null };

/** Wraps every call so that whatever fails is thrown as an AppCallError with the method's name. */
function withAppErrors(raw: AppApi, onFailure?: (e: AppCallError) => void): AppApi {
  const wrapped = Object.fromEntries(
    APP_API_METHODS.map((m) => [
      m,
      async (...args: unknown[]) => {
        try {
          return await (raw[m] as (...a: unknown[]) => Promise<unknown>)(...args);
        } catch (e) {
          const err = toAppError(e, m);
          onFailure?.(err);
          throw err;
        }
      },
    ]),
  ) as unknown as Omit<AppApi, 'onEvent'>;
  return { ...wrapped, onEvent: (l: (e: AppEvent) => void) => raw.onEvent(l) };
}

export interface BindingHooks {
  onConnection?: (s: ConnectionState) => void;
  /** Every failed call, e.g. to notice that the server no longer accepts this page's token. */
  onFailure?: (e: AppCallError) => void;
}

export function pickBinding(hooks: BindingHooks = {}): Binding {
  const bridge = window.netsprout;
  if (bridge && typeof bridge.getAppInfo === 'function') {
    const pathForFile = typeof bridge.pathForFile === 'function' ? (f: File) => bridge.pathForFile!(f) : null;
    return { kind: 'desktop', api: withAppErrors(bridge, hooks.onFailure), pathForFile };
  }
  const token = new URLSearchParams(window.location.search).get('token');
  return { kind: 'browser', api: withAppErrors(createHttpBinding({ token, onConnection: hooks.onConnection }), hooks.onFailure), token };
}
