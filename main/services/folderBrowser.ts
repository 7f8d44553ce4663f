/** The server-side folder browser: what a browser UI shows instead of a native dialog to pick data. */
import { existsSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { NetSproutError } from '../../engine/errors.js';
import type { FolderListing } from '../common/appApi.js';

export const MAX_ENTRIES = 5000;

export async function browseFolder(p?: string): Promise<FolderListing> {
  let dir = path.resolve(p ?? os.homedir());
  if (!existsSync(dir)) throw new NetSproutError('FOLDER_MISSING', `${dir} does not exist.`, 'Choose another folder.', [dir]);
  if (!statSync(dir).isDirectory()) dir = path.dirname(dir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new NetSproutError('FOLDER_UNREADABLE', `${dir} cannot be opened: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}.`, 'Choose a folder you are allowed to read.', [dir]);
  }
  const entries: FolderListing['entries'] = [];
  for (const name of names) {
    if (name.startsWith('.') || entries.length >= MAX_ENTRIES) continue;
    const full = path.join(dir, name);
    try {
      const st = await stat(full);
      if (st.isDirectory()) entries.push({ name, path: full, kind: 'folder' });
      else if (st.isFile()) entries.push({ name, path: full, kind: 'file', size: st.size });
    } catch {
      // A broken link or a file gone meanwhile: not listed.
    }
  }
  entries.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name, undefined, { numeric: true, sensitivity: 'base' }) : a.kind === 'folder' ? -1 : 1));
  const parent = path.dirname(dir);
  return { path: dir, parent: parent === dir ? null : parent, entries };
}
