/**
 * One app per data folder: the projects store has a single writer (lowdb has no lock between processes), so the
 * desktop app and `netsprout serve` do not open the same data folder at once. A lock left by an app that died is
 * taken over.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { NetSproutError } from '../../engine/errors.js';
import { isAlive } from '../../engine/protocol/jobLock.js';

export function lockDataFolder(lockFile: string, mode: string): () => void {
  if (existsSync(lockFile)) {
    try {
      const held = JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number; mode: string };
      if (held.pid !== process.pid && isAlive(held.pid)) {
        throw new NetSproutError(
          'DATA_FOLDER_IN_USE',
          `NetSprout is already running with this data folder (process ${held.pid}, ${held.mode === 'desktop' ? 'the desktop app' : '`netsprout serve`'}).`,
          'Use the one that is running, or close it first. NETSPROUT_HOME chooses another data folder.',
          [lockFile],
        );
      }
    } catch (e) {
      if (e instanceof NetSproutError) throw e;
      // An unreadable lock is a stale one.
    }
  }
  writeFileSync(lockFile, JSON.stringify({ pid: process.pid, mode, startedAt: new Date().toISOString() }));
  return () => {
    try {
      if ((JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number }).pid === process.pid) rmSync(lockFile, { force: true });
    } catch {
      // Already gone.
    }
  };
}
