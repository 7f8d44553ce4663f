/**
 * The app's shared state: which binding the UI runs on, the AppApi to call, the connection to the server, the
 * installation's facts (getAppInfo) and the project list, kept fresh by pushed events.
 */
import type { AppApi, AppEvent, AppInfo, ProjectSummary } from '../../../main/common/appApi';
import { pickBinding, type Binding } from './api/appClient';
import { toAppError, type AppCallError } from './api/appError';
import { isAccessRefused, type ConnectionState } from './api/httpBinding';

export const app = $state({
  connection: 'open' as ConnectionState,
  info: null as AppInfo | null,
  /** Set when the app cannot start at all (no token, wrong token, server gone). */
  fatal: null as AppCallError | null,
  projects: null as ProjectSummary[] | null,
  projectsError: null as AppCallError | null,
});

const binding: Binding = pickBinding({
  onConnection: (s) => (app.connection = s),
  // A server started again hands out a new token: this page's one is refused from then on, whatever the screen.
  onFailure: (e) => {
    if (binding.kind === 'browser' && isAccessRefused(e.code)) app.fatal = e;
  },
});

export const mode: Binding['kind'] = binding.kind;

export const api: AppApi = binding.api;

/** Whether the page's address carries an access token (browser only). */
export const addressHasToken = binding.kind === 'browser' && !!binding.token;

/** The path of a file dropped onto the window, where the desktop bridge can tell it. */
export function pathOfDroppedFile(file: File): string | null {
  if (binding.kind !== 'desktop' || !binding.pathForFile) return null;
  try {
    return binding.pathForFile(file) || null;
  } catch {
    return null;
  }
}

const eventListeners = new Set<(e: AppEvent) => void>();

/** Subscribe to pushed events for as long as a component lives. */
export function onAppEvent(listener: (e: AppEvent) => void): () => void {
  eventListeners.add(listener);
  return () => eventListeners.delete(listener);
}

export async function refreshProjects(): Promise<void> {
  try {
    app.projects = await api.listProjects();
    app.projectsError = null;
  } catch (e) {
    app.projectsError = toAppError(e, 'listProjects');
  }
}

let projectRefresh: ReturnType<typeof setTimeout> | undefined;

export async function startApp(): Promise<void> {
  try {
    app.info = await api.getAppInfo();
  } catch (e) {
    app.fatal = toAppError(e, 'getAppInfo');
    return;
  }
  api.onEvent((e) => {
    if (e.type === 'notices' && app.info) app.info.notices = e.notices;
    if (e.type === 'projects' || e.type === 'jobStatus') {
      clearTimeout(projectRefresh);
      projectRefresh = setTimeout(() => void refreshProjects(), 300);
    }
    eventListeners.forEach((l) => l(e));
  });
  await refreshProjects();
}
