/**
 * The projects store: one JSON file in the data folder (lowdb; every write goes to a temporary file renamed over
 * the store, so a crash leaves the old file or the new one, never half of one). It holds metadata only: projects,
 * datasets inspected, jobs and their candidates' summaries, imported device profiles, settings. Only the app
 * services write it; the engine writes its own job folders.
 *
 * When the file is missing it is rebuilt from the job folders (each holds app.json); when it cannot be read or does
 * not match the schema it is first set aside as `<file>.corrupt-<time>` (never overwritten) and then rebuilt.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { z } from 'zod';
import { CandidateRecord, JobRecord, ProjectRecord, readJobFolders } from './jobFolderRecord.js';

export const DatasetRecord = z.object({
  path: z.string(),
  kind: z.string().nullable(),
  usable: z.boolean(),
  examples: z.number(),
  classes: z.number(),
  inspectedAt: z.string(),
  throughput: z
    .object({ backend: z.string(), threads: z.number(), trainExamples: z.number(), samplesPerSecond: z.number(), epochSeconds: z.number(), measuredAt: z.string() })
    .optional(),
});
export type DatasetRecord = z.infer<typeof DatasetRecord>;

export const DeviceProfileRecord = z.object({
  id: z.string(),
  /** The copy kept in the data folder (the value of TargetChoice.target). */
  file: z.string(),
  source: z.string(),
  name: z.string(),
  description: z.string(),
  runtime: z.string(),
  importedAt: z.string(),
});
export type DeviceProfileRecord = z.infer<typeof DeviceProfileRecord>;

/** A folder the app exported a model into: only these model cards are ever read back (getModelCard). */
export const ExportRecord = z.object({
  id: z.string(),
  jobId: z.string(),
  candidateId: z.string().nullable(),
  outDir: z.string(),
  exportedAt: z.string(),
});
export type ExportRecord = z.infer<typeof ExportRecord>;

export const StoredSettings = z.object({
  defaultExportDir: z.string(),
  throttleMs: z.number().int().min(50).max(5000),
  /** The sample project was offered once; deleting it does not bring it back. */
  sampleOffered: z.boolean(),
});
export type StoredSettings = z.infer<typeof StoredSettings>;

export const StoreData = z.object({
  format: z.literal('netsprout-store'),
  version: z.literal(1),
  projects: z.array(ProjectRecord),
  datasets: z.array(DatasetRecord),
  jobs: z.array(JobRecord),
  candidates: z.array(CandidateRecord),
  deviceProfiles: z.array(DeviceProfileRecord),
  /** Added after the first release: a store without it has none. */
  exports: z.array(ExportRecord).default([]),
  settings: StoredSettings,
});
export type StoreData = z.infer<typeof StoreData>;

export function defaultSettings(): StoredSettings {
  return { defaultExportDir: path.join(os.homedir(), 'NetSprout exports'), throttleMs: 250, sampleOffered: false };
}

function emptyStore(): StoreData {
  return { format: 'netsprout-store', version: 1, projects: [], datasets: [], jobs: [], candidates: [], deviceProfiles: [], exports: [], settings: defaultSettings() };
}

/** How the store was opened: as it was, created, rebuilt after loss, or set aside as corrupt and rebuilt. */
export interface StoreOpening {
  state: 'loaded' | 'created' | 'rebuilt' | 'recovered';
  /** Where a corrupt store was moved to. */
  setAside?: string;
  reason?: string;
  /** Jobs found in folders that the store did not list. */
  jobsAdded: number;
}

export class ProjectStore {
  private constructor(
    private readonly db: Low<StoreData>,
    readonly file: string,
    readonly opening: StoreOpening,
  ) {}

  static async open(file: string, jobsDir: string): Promise<ProjectStore> {
    await mkdir(path.dirname(file), { recursive: true });
    const adapter = new JSONFile<StoreData>(file);
    let data: StoreData | null = null;
    let opening: StoreOpening = { state: 'loaded', jobsAdded: 0 };
    try {
      const raw = await adapter.read();
      if (raw === null) opening = { state: 'created', jobsAdded: 0 };
      else {
        const parsed = StoreData.safeParse(raw);
        if (parsed.success) data = parsed.data;
        else opening = { state: 'recovered', reason: `it does not match the store's schema (${parsed.error.issues[0]?.path.join('.') || 'top level'}: ${parsed.error.issues[0]?.message})`, jobsAdded: 0 };
      }
    } catch (e) {
      opening = { state: 'recovered', reason: `it cannot be read: ${(e as Error).message.split('\n')[0]}`, jobsAdded: 0 };
    }
    if (opening.state === 'recovered' && existsSync(file)) {
      const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(file, aside);
      opening.setAside = aside;
    }
    const db = new Low<StoreData>(adapter, emptyStore());
    db.data = data ?? emptyStore();
    const folders = readJobFolders(jobsDir);
    for (const f of folders) {
      if (db.data.jobs.some((j) => j.id === f.job.id)) continue;
      if (!db.data.projects.some((p) => p.id === f.project.id)) db.data.projects.push(f.project);
      db.data.jobs.push(f.job);
      db.data.candidates.push(...f.candidates);
      opening.jobsAdded++;
    }
    if (opening.state === 'created' && opening.jobsAdded > 0) opening.state = 'rebuilt';
    const store = new ProjectStore(db, file, opening);
    if (opening.state !== 'loaded' || opening.jobsAdded > 0) await db.write();
    return store;
  }

  /** The current data; read-only by convention: change it through `update`. */
  get data(): Readonly<StoreData> {
    return this.db.data;
  }

  /** Changes the data and writes the store (atomically; concurrent writes are coalesced). */
  async update<T>(change: (d: StoreData) => T): Promise<T> {
    const out = change(this.db.data);
    await this.db.write();
    return out;
  }

  project(id: string): ProjectRecord | undefined {
    return this.db.data.projects.find((p) => p.id === id);
  }

  job(id: string): JobRecord | undefined {
    return this.db.data.jobs.find((j) => j.id === id);
  }
}
