/**
 * The app services: everything the renderer may ask (AppApi), without Electron. The desktop app binds them to
 * ipcMain, `netsprout serve` to HTTP and a WebSocket; both validate arguments first (apiDispatch.ts). Heavy work
 * (inspecting data, measuring, training, evaluating, exporting, predicting) runs in engine processes; the services
 * keep the projects store and read job folders.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { lstat, mkdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { NetSproutError } from '../../engine/errors.js';
import type { BackendsResult, EngineTask, TaskResults, ThroughputResult } from '../../engine/protocol/messages.js';
import { APP_DEFAULT_STRATEGY } from '../../engine/search/autoStrategy.js';
import { BUDGET_PRESETS } from '../../engine/search/budget.js';
import { createJob, STRATEGIES, STRATEGY_INFO, type StrategyName } from '../../engine/search/jobSpec.js';
import type {
  AppApi,
  AppEvent,
  AppInfo,
  AppApiArgs,
  BudgetEstimate,
  CandidateDetail,
  DataReport,
  ExportResult,
  FolderListing,
  JobDetail,
  JobSummaryRow,
  ModelCardView,
  PredictResult,
  ProjectDetail,
  ProjectSummary,
  ResultsView,
  Settings,
  StrategyChoice,
  TargetDevice,
} from '../common/appApi.js';
import type { z } from 'zod';
import { appLocations, type AppLocations } from './appLocations.js';
import { budgetEstimate } from './budgetEstimate.js';
import { lockDataFolder } from './dataFolderLock.js';
import { runEngineTask, type EngineLauncher } from './engineProcess.js';
import { browseFolder } from './folderBrowser.js';
import { writeAppJobFile, type JobRecord, type ProjectRecord } from './jobFolderRecord.js';
import { JobSupervisor } from './jobSupervisor.js';
import { candidateDetail, jobPhase, readJobView, recommendedCandidate } from './jobViews.js';
import { ProjectStore } from './projectStore.js';
import { builtInTargets, importDeviceProfile, profileTarget } from './targets.js';

type Args<M extends keyof typeof AppApiArgs> = z.output<(typeof AppApiArgs)[M]>;

/** What only one binding can do: native dialogs and the file manager (desktop). */
export interface PlatformBindings {
  mode: 'desktop' | 'browser';
  pickPath?(p: Args<'pickPath'>[0]): Promise<string | null>;
  showInFolder?(p: string): Promise<boolean>;
  notices?: string[];
}

export interface AppServicesOptions {
  /** The data folder (defaultDataFolder()). */
  home: string;
  /** The folder with bin/, engine/, assets/ and renderer/ (app.getAppPath() in Electron). */
  appRoot: string;
  platform: PlatformBindings;
  /** How to start the engine; by default Node with bin/netsprout-engine.mjs. */
  launcher?: Partial<EngineLauncher>;
  version?: string;
  /** Take the data folder's lock (default true). */
  lock?: boolean;
  /** Offer the bundled sample as a first project (default true). */
  sample?: boolean;
  /** How long a paused or cancelled job may take to stop before its engine is ended (jobSupervisor STOP_GRACE_MS). */
  stopGraceMs?: number;
}

/** Throughput measurements are reused for an hour. */
const THROUGHPUT_TTL_MS = 3600_000;
/** The exports remembered for getModelCard (the latest ones). */
const MAX_EXPORT_RECORDS = 500;
/** A model card is a few hundred kilobytes; anything much larger is not one. */
const MAX_MODEL_CARD_BYTES = 20 * 2 ** 20;
/** The model card's own policy inside its sandboxed frame: its inline styles and pictures, nothing else. */
const MODEL_CARD_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

/** The strategy a job gets when none is chosen: 'auto' where the engine has it. */
export const DEFAULT_STRATEGY: StrategyName = (STRATEGIES as readonly string[]).includes(APP_DEFAULT_STRATEGY) ? (APP_DEFAULT_STRATEGY as StrategyName) : 'hill';

/** The engine's strategies for the Review step, the default first. */
export function strategyChoices(): StrategyChoice[] {
  const order = [DEFAULT_STRATEGY, ...STRATEGIES.filter((s) => s !== DEFAULT_STRATEGY)];
  return order.map((id) => ({ id, ...STRATEGY_INFO[id] }));
}

/** The card's HTML with a Content-Security-Policy of its own in its head (it is shown in a sandboxed frame). */
export function withModelCardPolicy(html: string): string {
  const meta = `<meta http-equiv="Content-Security-Policy" content="${MODEL_CARD_CSP}">`;
  const head = /<head[^>]*>/i.exec(html);
  return head ? html.slice(0, head.index + head[0].length) + meta + html.slice(head.index + head[0].length) : `<head>${meta}</head>${html}`;
}

function newId(prefix: string): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return `${prefix}-${stamp}-${randomBytes(3).toString('hex')}`;
}

function slug(name: string): string {
  return name.normalize('NFKD').replace(/[^\w-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'model';
}

export class AppServices implements AppApi {
  readonly locations: AppLocations;
  readonly store: ProjectStore;
  readonly supervisor: JobSupervisor;
  private readonly launcher: EngineLauncher;
  private readonly listeners = new Set<(e: AppEvent) => void>();
  /** Notices that hold for the whole session (the platform's, how the store was opened, backends that failed). */
  private readonly notices: string[] = [];
  /** Jobs that were running when the app last stopped: noticed until they are resumed, finished or deleted. */
  private readonly interruptedAtStart = new Set<string>();
  private lastNotices = '';
  private backendsPromise: Promise<BackendsResult | null> | null = null;
  private gpusPromise: Promise<string[]> | null = null;
  private readonly results = new Map<string, ResultsView>();
  private unlock: () => void = () => undefined;

  private constructor(
    private readonly opts: AppServicesOptions,
    locations: AppLocations,
    store: ProjectStore,
  ) {
    this.locations = locations;
    this.store = store;
    this.launcher = { entry: locations.engineEntry, ...opts.launcher };
    this.supervisor = new JobSupervisor({ store, launcher: this.launcher, emit: (e) => this.emit(e), throttleMs: () => this.store.data.settings.throttleMs, stopGraceMs: opts.stopGraceMs });
    this.notices.push(...(opts.platform.notices ?? []));
    const o = store.opening;
    if (o.state === 'recovered') this.notices.push(`The projects store could not be used (${o.reason}); it was kept as ${o.setAside} and rebuilt from the job folders (${o.jobsAdded} job${o.jobsAdded === 1 ? '' : 's'} found).`);
    else if (o.state === 'rebuilt') this.notices.push(`The projects store was missing; it was rebuilt from the job folders (${o.jobsAdded} job${o.jobsAdded === 1 ? '' : 's'} found).`);
  }

  static async create(opts: AppServicesOptions): Promise<AppServices> {
    const locations = appLocations(opts.home, opts.appRoot);
    await mkdir(locations.home, { recursive: true });
    const unlock = opts.lock === false ? () => undefined : lockDataFolder(locations.lockFile, opts.platform.mode);
    try {
      const store = await ProjectStore.open(locations.storeFile, locations.jobsDir);
      const services = new AppServices(opts, locations, store);
      services.unlock = unlock;
      for (const id of await services.supervisor.markInterrupted()) services.interruptedAtStart.add(id);
      services.lastNotices = JSON.stringify(services.currentNotices());
      if (opts.sample !== false) await services.offerSample();
      return services;
    } catch (e) {
      unlock();
      throw e;
    }
  }

  /** Starts the slow look-ups (which backends load, the GPUs) now, so that the first screen does not wait for them. */
  warmUp(): void {
    void this.backends();
    void this.gpus();
  }

  /** Pauses running jobs (their engines stop at the next batch) and releases the data folder. */
  async close(): Promise<void> {
    await this.supervisor.shutdown();
    this.unlock();
  }

  onEvent(listener: (e: AppEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: AppEvent): void {
    this.send(e);
    // A job resumed, finished or deleted may take a notice away.
    if (e.type === 'jobStatus' || e.type === 'projects') this.noticesMayHaveChanged();
  }

  private send(e: AppEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        process.stderr.write(`netsprout: an event listener failed: ${(err as Error).message}\n`);
      }
    }
  }

  /** The notices as they stand now (AppInfo.notices). */
  private currentNotices(): string[] {
    const still = [...this.interruptedAtStart].filter((id) => this.store.job(id)?.status === 'interrupted').length;
    const interrupted = still ? [`${still} job${still === 1 ? ' was' : 's were'} running when NetSprout last stopped; ${still === 1 ? 'it is' : 'they are'} marked interrupted and can be resumed.`] : [];
    return [...this.notices, ...interrupted];
  }

  private noticesMayHaveChanged(): void {
    const now = this.currentNotices();
    const key = JSON.stringify(now);
    if (key === this.lastNotices) return;
    this.lastNotices = key;
    this.send({ type: 'notices', notices: now });
  }

  private async offerSample(): Promise<void> {
    if (this.store.data.settings.sampleOffered || !existsSync(this.locations.sampleDataPath)) return;
    await this.store.update((d) => {
      d.projects.push({ id: newId('p'), name: 'Fashion-MNIST sample', dataPath: this.locations.sampleDataPath, kind: 'images', createdAt: new Date().toISOString(), isSample: true });
      d.settings.sampleOffered = true;
    });
  }

  private engine<K extends EngineTask['task']>(task: Extract<EngineTask, { task: K }>): Promise<TaskResults[K]> {
    return runEngineTask(this.launcher, task, path.join(this.locations.logsDir, 'engine.log'));
  }

  // -------------------------------------------------------------------------------------------------------------
  // The machine
  // -------------------------------------------------------------------------------------------------------------

  private backends(): Promise<BackendsResult | null> {
    this.backendsPromise ??= this.engine({ task: 'backends' }).catch((e) => {
      this.notices.push(`The compute backends could not be checked: ${(e as Error).message}`);
      this.noticesMayHaveChanged();
      return null;
    });
    return this.backendsPromise;
  }

  private gpus(): Promise<string[]> {
    this.gpusPromise ??= (async () => {
      try {
        const si = (await import('systeminformation')).default;
        const g = await Promise.race([si.graphics(), new Promise<null>((r) => setTimeout(() => r(null), 5000).unref())]);
        return (g?.controllers ?? []).map((c) => [c.vendor, c.model].filter(Boolean).join(' ').trim()).filter(Boolean);
      } catch {
        return [];
      }
    })();
    return this.gpusPromise;
  }

  async getAppInfo(): Promise<AppInfo> {
    const [b, gpus] = await Promise.all([this.backends(), this.gpus()]);
    return {
      version: this.opts.version ?? '0.0.0',
      mode: this.opts.platform.mode,
      nativeDialogs: this.opts.platform.mode === 'desktop' && !!this.opts.platform.pickPath,
      machine: {
        cpu: os.cpus()[0]?.model?.trim() ?? 'unknown',
        cores: os.availableParallelism(),
        memoryGb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
        gpus,
        backend: b?.chosen ?? 'unknown',
        threads: b?.threads ?? 0,
      },
      sampleDataPath: this.locations.sampleDataPath,
      dataFolder: this.locations.home,
      notices: this.currentNotices(),
      strategies: strategyChoices(),
      defaultStrategy: DEFAULT_STRATEGY,
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Projects
  // -------------------------------------------------------------------------------------------------------------

  private project(id: string): ProjectRecord {
    const p = this.store.project(id);
    if (!p) throw new NetSproutError('PROJECT_MISSING', `There is no project ${id}.`, 'It may have been deleted; reload the project list.');
    return p;
  }

  private job(id: string): JobRecord {
    const j = this.store.job(id);
    if (!j) throw new NetSproutError('JOB_MISSING', `There is no job ${id}.`, 'It may have been deleted with its project; reload the project list.');
    return j;
  }

  private jobRow(j: JobRecord): JobSummaryRow {
    return {
      id: j.id,
      projectId: j.projectId,
      status: j.status,
      strategy: j.strategy,
      budgetSeconds: j.budgetSeconds,
      target: j.target,
      jobDir: j.jobDir,
      createdAt: j.createdAt,
      updatedAt: j.updatedAt,
      elapsedSeconds: j.elapsedSeconds,
      bestAccuracy: j.bestAccuracy,
      candidates: j.candidates,
      ...(j.error ? { error: j.error } : {}),
    };
  }

  private jobsOf(projectId: string): JobRecord[] {
    return this.store.data.jobs.filter((j) => j.projectId === projectId).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  private projectSummary(p: ProjectRecord): ProjectSummary {
    const last = this.jobsOf(p.id)[0];
    return {
      id: p.id,
      name: p.name,
      dataPath: p.dataPath,
      kind: p.kind,
      createdAt: p.createdAt,
      isSample: p.isSample,
      lastJob: last ? { id: last.id, status: last.status, bestAccuracy: last.bestAccuracy, updatedAt: last.updatedAt } : null,
    };
  }

  async listProjects(): Promise<ProjectSummary[]> {
    const activity = (p: ProjectSummary) => p.lastJob?.updatedAt ?? p.createdAt;
    return this.store.data.projects.map((p) => this.projectSummary(p)).sort((a, b) => activity(b).localeCompare(activity(a)));
  }

  async getProject(projectId: string): Promise<ProjectDetail> {
    const p = this.project(projectId);
    return { ...this.projectSummary(p), ...(p.targetColumn ? { targetColumn: p.targetColumn } : {}), jobs: this.jobsOf(p.id).map((j) => this.jobRow(j)) };
  }

  async createProject(input: Args<'createProject'>[0]): Promise<ProjectDetail> {
    const dataPath = path.resolve(input.dataPath);
    if (!existsSync(dataPath)) throw new NetSproutError('MISSING_PATH', `${dataPath} does not exist.`, 'Pick the folder or file of your data again.', [dataPath]);
    const id = newId('p');
    await this.store.update((d) => {
      d.projects.push({ id, name: input.name, dataPath, kind: input.kind ?? null, ...(input.targetColumn ? { targetColumn: input.targetColumn } : {}), createdAt: new Date().toISOString(), isSample: false });
    });
    this.emit({ type: 'projects' });
    return this.getProject(id);
  }

  async renameProject(projectId: string, name: string): Promise<ProjectSummary> {
    this.project(projectId);
    await this.store.update((d) => {
      d.projects.find((p) => p.id === projectId)!.name = name;
    });
    const p = this.project(projectId);
    for (const j of this.jobsOf(projectId)) if (existsSync(j.jobDir)) await writeAppJobFile(j.jobDir, p, j).catch(() => undefined);
    this.emit({ type: 'projects' });
    return this.projectSummary(p);
  }

  async deleteProject(projectId: string): Promise<void> {
    this.project(projectId);
    const jobs = this.jobsOf(projectId);
    for (const j of jobs) if (this.supervisor.isActive(j.id) || j.status === 'queued') await this.supervisor.cancel(j.id).catch(() => undefined);
    // Only folders the app made, inside its jobs folder; the user's data and exports are never touched.
    for (const j of jobs) {
      const rel = path.relative(this.locations.jobsDir, j.jobDir);
      if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) await rm(j.jobDir, { recursive: true, force: true });
    }
    const ids = new Set(jobs.map((j) => j.id));
    await this.store.update((d) => {
      d.projects = d.projects.filter((p) => p.id !== projectId);
      d.jobs = d.jobs.filter((j) => !ids.has(j.id));
      d.candidates = d.candidates.filter((c) => !ids.has(c.jobId));
    });
    this.emit({ type: 'projects' });
  }

  // -------------------------------------------------------------------------------------------------------------
  // Data, budget, targets
  // -------------------------------------------------------------------------------------------------------------

  async inspectData(input: Args<'inspectData'>[0]): Promise<DataReport> {
    const p = path.resolve(input.path);
    const r = await this.engine({ task: 'inspect', path: p, kind: input.kind, target: input.targetColumn, previewPerClass: 4 });
    const s = r as unknown as DataReport & { images?: DataReport['images'] & { splitFolders?: boolean }; text?: DataReport['text'] & { samples?: unknown } };
    await this.store.update((d) => {
      const rec = { path: p, kind: s.kind, usable: s.usable, examples: s.examples, classes: s.classes.length, inspectedAt: new Date().toISOString() };
      const at = d.datasets.findIndex((x) => x.path === p);
      if (at >= 0) d.datasets[at] = { ...d.datasets[at], ...rec };
      else d.datasets.push(rec);
    });
    return {
      path: p,
      kind: s.kind,
      usable: s.usable,
      examples: s.examples,
      classes: s.classes,
      ...(s.imbalance !== undefined ? { imbalance: s.imbalance } : {}),
      ...(s.images ? { images: { minWidth: s.images.minWidth, maxWidth: s.images.maxWidth, minHeight: s.images.minHeight, maxHeight: s.images.maxHeight, workingResolution: s.images.workingResolution } } : {}),
      ...(s.table ? { table: s.table } : {}),
      ...(s.text ? { text: { vocabulary: s.text.vocabulary, sequenceLength: s.text.sequenceLength } } : {}),
      findings: s.findings,
      preview: r.preview,
    };
  }

  async estimateBudget(projectId: string): Promise<BudgetEstimate> {
    const p = this.project(projectId);
    const cached = this.store.data.datasets.find((d) => d.path === p.dataPath)?.throughput;
    let throughput: ThroughputResult;
    if (cached && Date.now() - Date.parse(cached.measuredAt) < THROUGHPUT_TTL_MS) {
      const { measuredAt: _, ...rest } = cached;
      throughput = rest;
    } else {
      throughput = await this.engine({ task: 'throughput', path: p.dataPath, kind: (p.kind as 'images' | null) ?? undefined, target: p.targetColumn });
      await this.store.update((d) => {
        const rec = { ...throughput, measuredAt: new Date().toISOString() };
        const at = d.datasets.find((x) => x.path === p.dataPath);
        if (at) at.throughput = rec;
        else d.datasets.push({ path: p.dataPath, kind: p.kind, usable: true, examples: throughput.trainExamples, classes: 0, inspectedAt: rec.measuredAt, throughput: rec });
      });
    }
    return budgetEstimate(throughput);
  }

  async listTargets(): Promise<TargetDevice[]> {
    return [...builtInTargets(await this.backends()), ...this.store.data.deviceProfiles.map(profileTarget)];
  }

  async importDeviceProfile(file: string): Promise<TargetDevice> {
    const rec = await importDeviceProfile(path.resolve(file), this.locations.profilesDir);
    await this.store.update((d) => {
      d.deviceProfiles = d.deviceProfiles.filter((x) => x.id !== rec.id);
      d.deviceProfiles.push(rec);
    });
    return profileTarget(rec);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Jobs
  // -------------------------------------------------------------------------------------------------------------

  async startJob(input: Args<'startJob'>[0]): Promise<JobSummaryRow> {
    const project = this.project(input.projectId);
    if (!existsSync(project.dataPath)) throw new NetSproutError('MISSING_PATH', `The project's data, ${project.dataPath}, is no longer there.`, 'Put it back, or make a new project with the data where it is now.', [project.dataPath]);
    const target = input.target;
    const strategy = input.strategy ?? DEFAULT_STRATEGY;
    if (!(STRATEGIES as readonly string[]).includes(strategy)) throw new NetSproutError('STRATEGY_UNKNOWN', `There is no search strategy "${strategy}".`, `Choose one of ${STRATEGIES.join(', ')}.`);
    const targets = await this.listTargets();
    const device = targets.find((t) => t.target === target.target);
    if (!device) throw new NetSproutError('TARGET_UNKNOWN', `"${target.target}" is not a target device NetSprout knows.`, 'Choose this computer, a web browser, or import a device profile first.');
    if (!device.available) throw new NetSproutError('TARGET_UNAVAILABLE', `${device.name} cannot be used here: ${device.reason ?? 'it is not available'}.`, 'Choose this computer or a web browser.');
    const budgetSeconds = typeof input.budget === 'string' ? BUDGET_PRESETS[input.budget] : input.budget.seconds;
    const id = newId('job');
    const jobDir = path.join(this.locations.jobsDir, id);
    const now = new Date().toISOString();
    const seed = input.seed ?? 0;
    await createJob(jobDir, {
      data: project.dataPath,
      kind: (project.kind as 'images' | null) ?? undefined,
      target: project.targetColumn,
      budgetSeconds,
      seed,
      strategy: strategy as StrategyName,
      targetDevice: target.target,
      ...(target.maxParams !== undefined ? { maxParams: target.maxParams } : {}),
      ...(target.maxLatencyMs !== undefined ? { maxLatencyMs: target.maxLatencyMs } : {}),
      ...(target.maxSizeMb !== undefined ? { maxSizeMb: target.maxSizeMb } : {}),
    });
    const job: JobRecord = { id, projectId: project.id, status: 'queued', strategy, budgetSeconds, seed, target, jobDir, createdAt: now, updatedAt: now, elapsedSeconds: 0, bestAccuracy: null, candidates: 0, summary: null };
    await writeAppJobFile(jobDir, project, job);
    await this.store.update((d) => {
      d.jobs.push(job);
    });
    this.emit({ type: 'projects' });
    return this.jobRow(await this.supervisor.start(id));
  }

  async pauseJob(jobId: string): Promise<JobSummaryRow> {
    return this.jobRow(await this.supervisor.pause(jobId));
  }

  async resumeJob(jobId: string): Promise<JobSummaryRow> {
    const j = this.job(jobId);
    if (!existsSync(j.jobDir)) throw new NetSproutError('JOB_FOLDER_MISSING', `The job's folder ${j.jobDir} is gone, so it cannot be resumed.`, 'Start a new job.', [j.jobDir]);
    return this.jobRow(await this.supervisor.resume(jobId));
  }

  async cancelJob(jobId: string): Promise<JobSummaryRow> {
    return this.jobRow(await this.supervisor.cancel(jobId));
  }

  async getJob(jobId: string): Promise<JobDetail> {
    const j = this.job(jobId);
    const view = existsSync(j.jobDir) ? readJobView(j.jobDir) : null;
    const live = this.supervisor.live(jobId);
    const p = live?.progress;
    const elapsed = Math.max(j.elapsedSeconds, view?.elapsedSeconds ?? 0, Number(p?.elapsedSeconds ?? 0));
    const fraction = j.status === 'done' ? 1 : Math.min(1, elapsed / Math.max(1, j.budgetSeconds));
    return {
      ...this.jobRow(j),
      elapsedSeconds: elapsed,
      phase: jobPhase(j.status, live?.phase, view),
      progress:
        j.status === 'running' || j.status === 'done' || elapsed > 0
          ? {
              fraction,
              etaSeconds: j.status === 'running' ? Math.max(0, Number(p?.etaSeconds ?? j.budgetSeconds - elapsed)) : null,
              ...(typeof p?.candidate === 'string' ? { candidate: p.candidate } : {}),
              ...(typeof p?.epoch === 'number' ? { epoch: p.epoch } : {}),
              ...(typeof p?.epochs === 'number' ? { epochs: p.epochs } : {}),
            }
          : null,
      candidates: view ? view.rows.filter((r) => r.status === 'trained').length : j.candidates,
      leaderboard: view ? [...view.rows].sort((a, b) => b.accuracy - a.accuracy) : [],
      bestCurve: view?.bestCurve ?? [],
      front: view?.front ?? [],
      hypervolumeCurve: view?.hypervolumeCurve ?? [],
      log: view?.log ?? [],
      summary: view?.summary ?? j.summary,
      recommendedId: view ? recommendedCandidate(view, j.target) : (j.summary?.bestId ?? null),
      chosenStrategy: view?.chosenStrategy ?? null,
    };
  }

  async getCandidate(jobId: string, candidateId: string): Promise<CandidateDetail> {
    const j = this.job(jobId);
    return candidateDetail(j.jobDir, readJobView(j.jobDir), candidateId);
  }

  async getResults(jobId: string, candidateId?: string): Promise<ResultsView> {
    const j = this.job(jobId);
    const key = `${jobId}/${candidateId ?? 'final'}`;
    const cached = this.results.get(key);
    if (cached) return cached;
    if (!candidateId && j.status !== 'done') {
      throw new NetSproutError('JOB_NOT_FINISHED', 'The job has no final model yet.', 'Wait for it to finish (or resume it), or look at one of its candidates.', [j.jobDir]);
    }
    const ev = await this.engine({ task: 'evaluate', jobDir: j.jobDir, candidate: candidateId, samples: 12 });
    const view = readJobView(j.jobDir);
    const trainedFromId = ev.candidate === 'final' ? (view.summary?.bestId ?? j.summary?.bestId ?? ev.candidate) : ev.candidate;
    const out: ResultsView = { ...ev, jobId, trainedFromId, recommendedId: recommendedCandidate(view, j.target) ?? trainedFromId, alternatives: view.front };
    // A model's figures do not change once it is written: the final model, or a candidate's checkpoint.
    this.results.set(key, out);
    return out;
  }

  async predictFiles(jobId: string, candidateId: string | undefined, files: string[]): Promise<PredictResult> {
    const j = this.job(jobId);
    return this.engine({ task: 'predict', model: j.jobDir, candidate: candidateId, files: files.map((f) => path.resolve(f)) });
  }

  async predictUpload(jobId: string, candidateId: string | undefined, file: { name: string; base64: string }): Promise<PredictResult> {
    const dir = path.join(this.locations.tmpDir, randomBytes(8).toString('hex'));
    const name = path.basename(file.name).replace(/[^\w.\- ]+/g, '_').slice(-120) || 'upload';
    const local = path.join(dir, name);
    await mkdir(dir, { recursive: true });
    try {
      await writeFile(local, Buffer.from(file.base64, 'base64'));
      const r = await this.predictFiles(jobId, candidateId, [local]);
      const rename = (f: string) => (f.startsWith(local) ? file.name + f.slice(local.length) : f);
      return { predictions: r.predictions.map((p) => ({ ...p, file: rename(p.file), ...(p.error ? { error: { ...p.error, message: p.error.message.split(local).join(file.name), files: p.error.files.map(rename) } } : {}) })) };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async exportModel(jobId: string, input: Args<'exportModel'>[1]): Promise<ExportResult> {
    const j = this.job(jobId);
    const project = this.store.project(j.projectId);
    let outDir = input.outDir ? path.resolve(input.outDir) : path.join(this.store.data.settings.defaultExportDir, `${slug(project?.name ?? 'model')}-${jobId}${input.candidateId ? `-${input.candidateId}` : ''}`);
    if (!input.outDir) for (let n = 2; existsSync(outDir); n++) outDir = `${outDir.replace(/-\d+$/, '')}-${n}`;
    await mkdir(path.dirname(outDir), { recursive: true });
    const report = await this.engine({ task: 'export', jobDir: j.jobDir, candidate: input.candidateId, formats: input.formats, outDir });
    const exportId = newId('x');
    await this.store.update((d) => {
      d.exports.push({ id: exportId, jobId, candidateId: input.candidateId ?? null, outDir: path.resolve(report.outDir), exportedAt: new Date().toISOString() });
      d.exports.splice(0, Math.max(0, d.exports.length - MAX_EXPORT_RECORDS));
    });
    return { exportId, outDir: report.outDir, files: report.files, verification: (report.verification as Record<string, unknown>) ?? {}, modelCard: path.join(report.outDir, 'model-card.html') };
  }

  /**
   * The model card of an export this app made, by its id: only `model-card.html` of a folder the store lists as an
   * export is read, a plain file (no link) inside that folder, so no other file can be reached through this call.
   */
  async getModelCard(exportId: string): Promise<ModelCardView> {
    const rec = this.store.data.exports.find((x) => x.id === exportId);
    if (!rec) throw new NetSproutError('EXPORT_MISSING', `There is no export ${exportId}.`, 'Export the model again; its model card comes with it.');
    const file = path.join(rec.outDir, 'model-card.html');
    const gone = () => new NetSproutError('MODEL_CARD_MISSING', `The model card ${file} is no longer there.`, 'The export folder was moved or changed; export the model again.', [file]);
    let st;
    try {
      st = await lstat(file);
    } catch {
      throw gone();
    }
    const inside = path.relative(await realpath(rec.outDir), await realpath(file));
    if (!st.isFile() || st.size > MAX_MODEL_CARD_BYTES || inside !== 'model-card.html') throw gone();
    return { html: withModelCardPolicy(await readFile(file, 'utf8')), file };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Files and settings
  // -------------------------------------------------------------------------------------------------------------

  async showInFolder(p: string): Promise<boolean> {
    if (!this.opts.platform.showInFolder || !existsSync(p)) return false;
    return this.opts.platform.showInFolder(path.resolve(p));
  }

  async pickPath(p: Args<'pickPath'>[0]): Promise<string | null> {
    return this.opts.platform.pickPath ? this.opts.platform.pickPath(p) : null;
  }

  async browseFolder(p?: string): Promise<FolderListing> {
    return browseFolder(p);
  }

  async getSettings(): Promise<Settings> {
    const s = this.store.data.settings;
    return { defaultExportDir: s.defaultExportDir, throttleMs: s.throttleMs };
  }

  async updateSettings(p: Partial<Settings>): Promise<Settings> {
    await this.store.update((d) => {
      if (p.defaultExportDir !== undefined) d.settings.defaultExportDir = path.resolve(p.defaultExportDir);
      if (p.throttleMs !== undefined) d.settings.throttleMs = p.throttleMs;
    });
    return this.getSettings();
  }
}

/** The version in package.json at the app root. */
export function appVersion(appRoot: string): string {
  try {
    return (JSON.parse(readFileSync(path.join(appRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
