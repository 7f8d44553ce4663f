/**
 * Where the app keeps things and where it finds its own files. The data folder (projects store, jobs, imported
 * device profiles, logs) is the user's application-data folder, the same for the desktop app and `netsprout serve`
 * so both see the same projects; NETSPROUT_HOME overrides it (tests, portable installs). The app's own files
 * (engine entry, sample data, built renderer) are found from the app root: the repository in a clone, the
 * unpacked resources folder (app.asar.unpacked) in a packaged app.
 */
import os from 'node:os';
import path from 'node:path';

export interface AppLocations {
  /** The data folder. */
  home: string;
  storeFile: string;
  jobsDir: string;
  profilesDir: string;
  logsDir: string;
  tmpDir: string;
  lockFile: string;
  /** The folder holding bin/, engine/, assets/, renderer/ and node_modules/ (unpacked in a packaged app). */
  appRoot: string;
  engineEntry: string;
  sampleDataPath: string;
  rendererDir: string;
}

/** The platform's application-data folder for NetSprout (what Electron's app.getPath('userData') gives). */
export function defaultDataFolder(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.NETSPROUT_HOME) return path.resolve(env.NETSPROUT_HOME);
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'NetSprout');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'NetSprout');
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'NetSprout');
}

/** In a packaged app the files the engine reads are outside the asar archive, in app.asar.unpacked. */
export function unpackedPath(p: string): string {
  return p.replace(/([\\/])app\.asar(?=$|[\\/])/, '$1app.asar.unpacked');
}

export function appLocations(home: string, appRoot: string): AppLocations {
  const root = unpackedPath(appRoot);
  return {
    home,
    storeFile: path.join(home, 'netsprout-store.json'),
    jobsDir: path.join(home, 'jobs'),
    profilesDir: path.join(home, 'profiles'),
    logsDir: path.join(home, 'logs'),
    tmpDir: path.join(home, 'tmp'),
    lockFile: path.join(home, 'netsprout.lock'),
    appRoot: root,
    engineEntry: path.join(root, 'bin', 'netsprout-engine.mjs'),
    sampleDataPath: path.join(root, 'assets', 'sample', 'fashion-mnist'),
    // The window loads the renderer through Electron's asar support, so it may stay packed.
    rendererDir: path.join(appRoot, 'renderer', 'dist'),
  };
}
