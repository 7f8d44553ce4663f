/** The AppApi calls by name (without importing the zod schemas into the bundle); the compiler checks the list is whole. */
import type { AppApiMethod } from '../../../../main/common/appApi';

export const APP_API_METHODS = [
  'getAppInfo',
  'listProjects',
  'getProject',
  'createProject',
  'renameProject',
  'deleteProject',
  'inspectData',
  'estimateBudget',
  'listTargets',
  'importDeviceProfile',
  'startJob',
  'pauseJob',
  'resumeJob',
  'cancelJob',
  'getJob',
  'getCandidate',
  'getResults',
  'predictFiles',
  'predictUpload',
  'exportModel',
  'getModelCard',
  'showInFolder',
  'pickPath',
  'browseFolder',
  'getSettings',
  'updateSettings',
] as const satisfies readonly AppApiMethod[];

type Missing = Exclude<AppApiMethod, (typeof APP_API_METHODS)[number]>;
/** Fails to compile when AppApi gains a call this list lacks. */
export const everyMethodListed: [Missing] extends [never] ? true : Missing = true;
