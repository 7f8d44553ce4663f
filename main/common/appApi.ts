/**
 * AppApi: everything the renderer may ask of the app. Two bindings implement it: the Electron preload (one named
 * function per call over ipcRenderer.invoke, checked in main by sender and by these schemas) and the HTTP+WebSocket
 * server of `netsprout serve` (POST /api/<method> with a JSON body, the token required; events over /events).
 * The renderer sees nothing else: not the file system, not the engine.
 *
 * This file holds no Electron, Node or DOM code, so that main/, the preload and renderer/ can all import it.
 * Every argument is validated at the boundary with `AppApiArgs[method].parse(...)`.
 */
import { z } from 'zod';
import type { EngineErrorInfo, EvaluateResult, JobEventMessage, PredictResult, ThroughputResult, DataPreview } from '../../engine/protocol/messages.js';

export type { EngineErrorInfo, EvaluateResult, JobEventMessage, PredictResult, ThroughputResult, DataPreview };

// ---------------------------------------------------------------------------------------------------------------
// The two bindings, exactly
// ---------------------------------------------------------------------------------------------------------------
// Electron: the preload exposes `window.netsprout` (PRELOAD_GLOBAL): one named function per AppApi method plus
//   onEvent. Each method calls ipcRenderer.invoke(`netsprout:<method>`, ...args); main checks the sender and the
//   arguments. A failed call rejects with a plain AppError object ({code, message, hint, files}), not an Error.
// Browser (`netsprout serve`): POST /api/<method> with `Content-Type: application/json` and a JSON array of the
//   arguments as body (`[]` for none). 200 answers the value as JSON (`null` for none); any other status answers
//   `{"error": AppError}`. The token comes from the page URL (`/?token=...`): that first request sets an HttpOnly,
//   SameSite=Strict cookie, so later requests from the page (assets, /api, the WebSocket) carry it by themselves;
//   `Authorization: Bearer <token>` or `?token=` work as well. Events: a WebSocket at /events (same origin), one
//   JSON AppEvent per message. Static files are the built renderer (renderer/dist) under a strict CSP.
export const PRELOAD_GLOBAL = 'netsprout';
export const IPC_PREFIX = 'netsprout:';
export const IPC_EVENT_CHANNEL = 'netsprout:event';
export const SERVE_API_PREFIX = '/api/';
export const SERVE_EVENTS_PATH = '/events';

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an id of letters, digits, - and _');
const absPath = z.string().min(1).max(4096);
const dataKind = z.enum(['images', 'idx', 'table', 'text']);

export const BUDGET_PRESET_NAMES = ['try', 'low', 'medium', 'high'] as const;
/** A preset or a custom number of seconds (at least one minute, at most a week). */
export const Budget = z.union([z.enum(BUDGET_PRESET_NAMES), z.object({ seconds: z.number().int().min(60).max(7 * 86400) })]);
export type Budget = z.infer<typeof Budget>;

/** A target device: a built-in one (this computer's CPU or GPU, a browser) or an imported device profile. */
export const TargetChoice = z.object({
  target: z.string().min(1).max(200),
  maxLatencyMs: z.number().positive().max(60_000).optional(),
  maxParams: z.number().int().positive().optional(),
  maxSizeMb: z.number().positive().max(10_000).optional(),
});
export type TargetChoice = z.infer<typeof TargetChoice>;

export const AppApiArgs = {
  getAppInfo: z.tuple([]),
  listProjects: z.tuple([]),
  getProject: z.tuple([id]),
  createProject: z.tuple([z.object({ name: z.string().trim().min(1).max(120), dataPath: absPath, kind: dataKind.optional(), targetColumn: z.string().max(200).optional() })]),
  renameProject: z.tuple([id, z.string().trim().min(1).max(120)]),
  deleteProject: z.tuple([id]),
  inspectData: z.tuple([z.object({ path: absPath, kind: dataKind.optional(), targetColumn: z.string().max(200).optional() })]),
  estimateBudget: z.tuple([id]),
  listTargets: z.tuple([]),
  importDeviceProfile: z.tuple([absPath]),
  startJob: z.tuple([z.object({ projectId: id, budget: Budget, target: TargetChoice, strategy: z.string().max(40).optional(), seed: z.number().int().min(0).optional() })]),
  pauseJob: z.tuple([id]),
  resumeJob: z.tuple([id]),
  cancelJob: z.tuple([id]),
  getJob: z.tuple([id]),
  getCandidate: z.tuple([id, id]),
  getResults: z.tuple([id, id.optional()]),
  predictFiles: z.tuple([id, id.optional(), z.array(absPath).min(1).max(100)]),
  /** A file dropped in the browser, sent as base64 (at most 20 MB). */
  predictUpload: z.tuple([id, id.optional(), z.object({ name: z.string().min(1).max(255), base64: z.string().max(28_000_000) })]),
  exportModel: z.tuple([id, z.object({ candidateId: id.optional(), formats: z.array(z.enum(['keras', 'onnx', 'tfjs'])).min(1), outDir: absPath.optional() })]),
  /** The model card of an export the app made (ExportResult.exportId); never a path, so nothing else can be read. */
  getModelCard: z.tuple([id]),
  showInFolder: z.tuple([absPath]),
  pickPath: z.tuple([z.object({ kind: z.enum(['folder', 'file']), title: z.string().max(200).optional(), extensions: z.array(z.string().max(10)).max(20).optional() })]),
  browseFolder: z.tuple([absPath.optional()]),
  getSettings: z.tuple([]),
  updateSettings: z.tuple([z.object({ defaultExportDir: absPath.optional(), throttleMs: z.number().int().min(50).max(5000).optional() })]),
} as const;
export type AppApiMethod = keyof typeof AppApiArgs;

// ---------------------------------------------------------------------------------------------------------------
// What the calls answer
// ---------------------------------------------------------------------------------------------------------------

export type JobStatus = 'queued' | 'running' | 'paused' | 'interrupted' | 'cancelled' | 'failed' | 'done';

export interface AppInfo {
  version: string;
  /** 'desktop' in Electron, 'browser' under `netsprout serve`. */
  mode: 'desktop' | 'browser';
  /** Whether native dialogs and "show in folder" work (desktop only). */
  nativeDialogs: boolean;
  machine: { cpu: string; cores: number; memoryGb: number; gpus: string[]; backend: string; threads: number };
  sampleDataPath: string;
  /** Where projects, jobs and settings are kept (NETSPROUT_HOME overrides it). */
  dataFolder: string;
  /**
   * Set when something needs the user's attention (e.g. no Electron binary, jobs left running by an app that died and
   * not resumed yet). Worked out on every call; a `notices` event brings the new list when it changes.
   */
  notices: string[];
  /** The engine's search strategies, 'auto' first, each in plain words (for the Review step's "Advanced" choice). */
  strategies: StrategyChoice[];
  /** The strategy a job gets when none is chosen: 'auto' (NetSprout picks one for the data, budget and limits). */
  defaultStrategy: string;
}

export interface StrategyChoice {
  /** The value to pass as startJob's `strategy`. */
  id: string;
  title: string;
  /** One line in plain words. */
  summary: string;
}

export interface ProjectSummary {
  id: string;
  name: string;
  dataPath: string;
  kind: string | null;
  createdAt: string;
  /** The latest job's status and best figure, for the project list. */
  lastJob: { id: string; status: JobStatus; bestAccuracy: number | null; updatedAt: string } | null;
  isSample: boolean;
}

export interface ProjectDetail extends ProjectSummary {
  targetColumn?: string;
  jobs: JobSummaryRow[];
}

export interface JobSummaryRow {
  id: string;
  projectId: string;
  status: JobStatus;
  strategy: string;
  budgetSeconds: number;
  target: TargetChoice;
  jobDir: string;
  createdAt: string;
  updatedAt: string;
  elapsedSeconds: number;
  bestAccuracy: number | null;
  candidates: number;
  error?: EngineErrorInfo;
}

export interface DataReport {
  path: string;
  kind: string | null;
  usable: boolean;
  examples: number;
  classes: Array<{ name: string; count: number; train?: number; test?: number }>;
  imbalance?: number;
  images?: { minWidth: number; maxWidth: number; minHeight: number; maxHeight: number; workingResolution: { height: number; width: number; channels: number } };
  table?: { target: string; columns: Array<{ name: string; kind: 'numeric' | 'categorical'; missing: number }> };
  text?: { vocabulary: number; sequenceLength: number };
  findings: Array<{ severity: 'error' | 'warning'; code: string; message: string; hint: string; files: string[] }>;
  preview: DataPreview;
}

export interface BudgetEstimate {
  throughput: ThroughputResult;
  /** What each preset buys on this machine. */
  presets: Array<{ name: (typeof BUDGET_PRESET_NAMES)[number]; seconds: number; candidates: number; seedEpochs: number }>;
}

export interface TargetDevice {
  /** The value to pass as TargetChoice.target: 'cpu', 'gpu', 'browser', or the path of an imported profile. */
  target: string;
  name: string;
  description: string;
  builtIn: boolean;
  available: boolean;
  reason?: string;
}

export interface CandidateRow {
  id: string;
  parentId: string | null;
  morphs: string[];
  status: 'trained' | 'failed';
  accuracy: number;
  accuracyInherited: number | null;
  params: number;
  latencyPredictedMs: number | null;
  latencyMs: number | null;
  seconds: number;
  elapsedSeconds: number;
  onFront: boolean;
  /**
   * The architecture in a few words, counted from the candidate's graph by layer kind, e.g. "5 conv, 1 dense, 2 skips";
   * null when its graph was not kept (jobs of an older engine). How it was grown is in `morphs` and the lineage.
   */
  summary: string | null;
  reason?: string;
}

export interface JobDetail extends JobSummaryRow {
  phase: string | null;
  progress: { fraction: number; etaSeconds: number | null; candidate?: string; epoch?: number; epochs?: number } | null;
  candidates: number;
  leaderboard: CandidateRow[];
  /** Best validation accuracy over elapsed seconds. */
  bestCurve: Array<{ elapsedSeconds: number; accuracy: number }>;
  front: Array<{ id: string; valAccuracy: number; latencyPredictedMs: number | null; latencyMs: number | null; params: number }>;
  hypervolumeCurve: Array<{ generation: number; hypervolume: number }>;
  log: Array<{ elapsedSeconds: number; message: string }>;
  summary: { valAccuracy: number; testAccuracy: number | null; params: number; bestId: string } | null;
  /** The candidate the app recommends for the chosen limits (the final model when the job is done). */
  recommendedId: string | null;
  /** For `strategy` 'auto': the strategy the engine chose for this job, once it has (its reasons are in the log). */
  chosenStrategy: string | null;
}

export interface CandidateDetail {
  row: CandidateRow;
  /**
   * NetSprout's graph IR (engine/graph/types.ts) as JSON, with the inferred output shape of each layer (the job keeps
   * every candidate's graph, even when it deletes the weights); null, with the reason, for a candidate of a job made
   * by an older engine whose checkpoint is gone.
   */
  graph: { input: string; output: string; layers: Array<{ id: string; type: string; inputs: string[]; params: Record<string, unknown>; shape: number[] }> } | null;
  graphMissing?: string;
  /** From the seed to this candidate: each step's candidate id and the morphisms applied. */
  lineage: Array<{ id: string; morphs: string[]; accuracy: number | null }>;
  flops: number;
}

export interface ResultsView extends EvaluateResult {
  jobId: string;
  /**
   * The leaderboard id of the model evaluated: the candidate itself, or for the final model (`candidate` is 'final',
   * which is not a leaderboard id) the candidate it was trained from (the job's bestId).
   */
  trainedFromId: string;
  recommendedId: string;
  alternatives: JobDetail['front'];
}

export interface ExportResult {
  /** Names this export for getModelCard. */
  exportId: string;
  outDir: string;
  files: string[];
  verification: Record<string, unknown>;
  /** The model card's path on the machine running NetSprout (for "show in folder"; getModelCard gives its HTML). */
  modelCard: string;
}

/** An exported model card, to show in a sandboxed frame (srcdoc): self-contained HTML with a strict CSP of its own. */
export interface ModelCardView {
  html: string;
  file: string;
}

export interface FolderListing {
  path: string;
  parent: string | null;
  entries: Array<{ name: string; path: string; kind: 'folder' | 'file'; size?: number }>;
}

export interface Settings {
  defaultExportDir: string;
  throttleMs: number;
}

/** Pushed to the renderer (IPC_EVENT_CHANNEL in Electron, the /events WebSocket in a browser). Throttled per job. */
export type AppEvent =
  | { type: 'job'; jobId: string; event: JobEventMessage }
  | { type: 'jobStatus'; jobId: string; projectId: string; status: JobStatus; error?: EngineErrorInfo }
  | { type: 'projects' }
  /** AppInfo.notices changed (e.g. an interrupted job was resumed). */
  | { type: 'notices'; notices: string[] };

/** Errors reach the renderer as this, never as a stack trace. */
export interface AppError extends EngineErrorInfo {}

export interface AppApi {
  getAppInfo(): Promise<AppInfo>;
  listProjects(): Promise<ProjectSummary[]>;
  getProject(projectId: string): Promise<ProjectDetail>;
  createProject(p: z.input<typeof AppApiArgs.createProject>[0]): Promise<ProjectDetail>;
  renameProject(projectId: string, name: string): Promise<ProjectSummary>;
  deleteProject(projectId: string): Promise<void>;
  inspectData(p: z.input<typeof AppApiArgs.inspectData>[0]): Promise<DataReport>;
  estimateBudget(projectId: string): Promise<BudgetEstimate>;
  listTargets(): Promise<TargetDevice[]>;
  importDeviceProfile(file: string): Promise<TargetDevice>;
  startJob(p: z.input<typeof AppApiArgs.startJob>[0]): Promise<JobSummaryRow>;
  pauseJob(jobId: string): Promise<JobSummaryRow>;
  resumeJob(jobId: string): Promise<JobSummaryRow>;
  cancelJob(jobId: string): Promise<JobSummaryRow>;
  getJob(jobId: string): Promise<JobDetail>;
  getCandidate(jobId: string, candidateId: string): Promise<CandidateDetail>;
  getResults(jobId: string, candidateId?: string): Promise<ResultsView>;
  predictFiles(jobId: string, candidateId: string | undefined, files: string[]): Promise<PredictResult>;
  predictUpload(jobId: string, candidateId: string | undefined, file: { name: string; base64: string }): Promise<PredictResult>;
  exportModel(jobId: string, p: z.input<typeof AppApiArgs.exportModel>[1]): Promise<ExportResult>;
  getModelCard(exportId: string): Promise<ModelCardView>;
  showInFolder(p: string): Promise<boolean>;
  /** A native dialog in the desktop app; null in a browser (use browseFolder) or when cancelled. */
  pickPath(p: z.input<typeof AppApiArgs.pickPath>[0]): Promise<string | null>;
  browseFolder(p?: string): Promise<FolderListing>;
  getSettings(): Promise<Settings>;
  updateSettings(p: Partial<Settings>): Promise<Settings>;
  /** Subscribe to pushed events; returns the unsubscribe function. */
  onEvent(listener: (e: AppEvent) => void): () => void;
}
