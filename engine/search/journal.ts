/**
 * The job journal: one JSON event per line, appended and flushed to disk before the engine goes on, so that a job
 * killed at any moment (kill -9 included) can be resumed. A torn last line (the process died mid-write) is ignored.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';

export type JournalEvent = { type: string; at?: string; [key: string]: unknown };

export class Journal {
  private readonly fd: number;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'a');
  }

  append(event: JournalEvent): void {
    const line = `${JSON.stringify({ ...event, at: new Date().toISOString() })}\n`;
    writeSync(this.fd, line);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Every complete event of a journal; a last line cut short by a crash is dropped (and reported). */
export function readJournal(file: string): { events: JournalEvent[]; tornLine: boolean } {
  if (!existsSync(file)) return { events: [], tornLine: false };
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const events: JournalEvent[] = [];
  let tornLine = false;
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      events.push(JSON.parse(line) as JournalEvent);
    } catch {
      if (i === lines.length - 1 || (i === lines.length - 2 && lines[lines.length - 1] === '')) tornLine = true;
      else throw new Error(`journal ${file} is damaged at line ${i + 1}`);
    }
  });
  return { events, tornLine };
}

/** Cuts a torn last line off, so that appending goes on from a clean line. Returns whether it cut anything. */
export function repairJournal(file: string): boolean {
  if (!existsSync(file)) return false;
  const buf = readFileSync(file);
  if (buf.length === 0 || buf[buf.length - 1] === 0x0a) return false;
  const lastNewline = buf.lastIndexOf(0x0a);
  truncateSync(file, lastNewline + 1);
  return true;
}
