/**
 * The engine protocol: the typed messages between the app services (main/) and an engine child process.
 *
 * One engine process does one task and exits. The app starts it (`child_process.fork` of engine/protocol/worker.ts,
 * or Electron's `utilityProcess.fork`), sends one `EngineTask`, may send `EngineControl` messages while it runs (a
 * search job listens for pause and cancel between batches), and receives `EngineMessage`s: events while the task
 * runs, then exactly one `result` or `error`. Every message crossing the process boundary is validated with these
 * schemas on the receiving side; nothing else crosses it.
 *
 * Job events are the journal's events as the search job emits them (engine/search/searchJob.ts `JobEvent`):
 * `phase`, `progress`, `candidate`, `front`, `log`, `done`. Their common fields are checked here; the rest passes
 * through, so that a strategy can add figures without changing the protocol.
 */
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------------------------
// App → engine: the task
// ---------------------------------------------------------------------------------------------------------------

const dataKind = z.enum(['images', 'idx', 'table', 'text']);

export const EngineTask = z.discriminatedUnion('task', [
  /** Start or resume the job in this folder (it holds job.json, written by the app with engine/search createJob). */
  z.object({ task: z.literal('runJob'), jobDir: z.string().min(1) }),
  /** Inspect a dataset: the summary and findings of `netsprout inspect`, plus a preview for the Data step. */
  z.object({
    task: z.literal('inspect'),
    path: z.string().min(1),
    kind: dataKind.optional(),
    target: z.string().optional(),
    /** Sample inputs per class to show (images as PNG data URLs, texts as strings, table rows). */
    previewPerClass: z.number().int().min(0).max(20).default(4),
  }),
  /** A quick throughput measurement for the Budget step: how long an epoch of the seed network takes here. */
  z.object({ task: z.literal('throughput'), path: z.string().min(1), kind: dataKind.optional(), target: z.string().optional() }),
  /** Results of a finished (or stopped) job for one candidate, or the recommended model when none is named. */
  z.object({ task: z.literal('evaluate'), jobDir: z.string().min(1), candidate: z.string().optional(), samples: z.number().int().min(0).max(64).default(12) }),
  /** Predict the class of files with a job's model (or an exported folder). */
  z.object({ task: z.literal('predict'), model: z.string().min(1), candidate: z.string().optional(), files: z.array(z.string().min(1)).min(1).max(1000) }),
  /** Export a job's model (engine/export exportModel), verified before the folder appears. */
  z.object({
    task: z.literal('export'),
    jobDir: z.string().min(1),
    candidate: z.string().optional(),
    formats: z.array(z.enum(['keras', 'onnx', 'tfjs'])).min(1),
    outDir: z.string().min(1),
  }),
  /** Which compute backends load here and the one the engine uses (engine/backend initBackend): for the target list. */
  z.object({ task: z.literal('backends') }),
  /** Profile this machine as a target device (engine/latency buildProfile) into a profile file. */
  z.object({ task: z.literal('profile'), runtime: z.enum(['onnx', 'tfjs']).default('onnx'), seconds: z.number().positive().max(3600).default(120), out: z.string().min(1) }),
]);
export type EngineTask = z.infer<typeof EngineTask>;

/** Sent while a task runs. `pause` stops a job at the next batch and leaves it resumable (a later `runJob` goes on). */
export const EngineControl = z.object({ control: z.enum(['pause', 'cancel']) });
export type EngineControl = z.infer<typeof EngineControl>;

// ---------------------------------------------------------------------------------------------------------------
// Engine → app
// ---------------------------------------------------------------------------------------------------------------

/** A problem meant for people: what, where (files), how to fix. Stack traces stay in the engine's log. */
export const EngineErrorInfo = z.object({ code: z.string(), message: z.string(), hint: z.string().default(''), files: z.array(z.string()).default([]) });
export type EngineErrorInfo = z.infer<typeof EngineErrorInfo>;

const timing = { elapsedSeconds: z.number().optional(), budgetSeconds: z.number().optional() };

export const JobEventMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('phase'), phase: z.string(), ...timing }).passthrough(),
  z.object({
    type: z.literal('progress'),
    phase: z.string(),
    candidate: z.string().optional(),
    epoch: z.number().optional(),
    epochs: z.number().optional(),
    batch: z.number().optional(),
    batches: z.number().optional(),
    etaSeconds: z.number().optional(),
    ...timing,
  }).passthrough(),
  z.object({
    type: z.literal('candidate'),
    id: z.string(),
    parentId: z.string().nullable(),
    morphs: z.array(z.object({ op: z.string() }).passthrough()),
    status: z.enum(['trained', 'failed']),
    accuracy: z.number(),
    accuracyInherited: z.number().nullable(),
    params: z.number(),
    seconds: z.number(),
    latencyPredictedMs: z.number().nullable().optional(),
    reason: z.string().optional(),
    ...timing,
  }).passthrough(),
  z.object({
    type: z.literal('front'),
    generation: z.number(),
    hypervolume: z.number(),
    verified: z.boolean().optional(),
    members: z.array(z.object({ id: z.string(), valAccuracy: z.number(), latencyPredictedMs: z.number().nullable().optional(), latencyMs: z.number().nullable().optional(), params: z.number() }).passthrough()),
    ...timing,
  }).passthrough(),
  z.object({ type: z.literal('log'), message: z.string(), ...timing }).passthrough(),
  z.object({ type: z.literal('done'), jobDir: z.string(), valAccuracy: z.number(), testAccuracy: z.number().nullable(), params: z.number(), bestId: z.string(), ...timing }).passthrough(),
]);
export type JobEventMessage = z.infer<typeof JobEventMessage>;

export const EngineMessage = z.discriminatedUnion('kind', [
  /** The process is up and has read its task. */
  z.object({ kind: z.literal('ready'), protocol: z.literal(PROTOCOL_VERSION), pid: z.number() }),
  /** A job event (runJob), or a step of a longer task (export, profile: `{type:'progress', phase, ...}`). */
  z.object({ kind: z.literal('event'), event: JobEventMessage }),
  /** The task's answer; its shape depends on the task (see `TaskResults`). */
  z.object({ kind: z.literal('result'), result: z.unknown() }),
  /** The task failed. `stopped` is set when it ended because of a pause or cancel (the job stays resumable). */
  z.object({ kind: z.literal('error'), error: EngineErrorInfo, stopped: z.enum(['paused', 'cancelled']).optional() }),
]);
export type EngineMessage = z.infer<typeof EngineMessage>;

// ---------------------------------------------------------------------------------------------------------------
// Task results (what `result` carries per task)
// ---------------------------------------------------------------------------------------------------------------

export interface DataPreview {
  /** Per class, up to `previewPerClass` samples: images as `data:image/png;base64,...`, texts, or table rows. */
  samples: Array<{ label: string; image?: string; text?: string; row?: Record<string, string> }>;
}

export interface ThroughputResult {
  backend: string;
  threads: number;
  trainExamples: number;
  /** Training throughput of the seed network, and what one epoch of it takes. */
  samplesPerSecond: number;
  epochSeconds: number;
}

export interface EvaluateResult {
  candidate: string;
  classes: string[];
  evaluatedOn: 'test' | 'validation';
  accuracy: number;
  /** Rows: true class, columns: predicted class. */
  confusion: number[][];
  perClass: Array<{ name: string; precision: number; recall: number; f1: number; support: number }>;
  /** Some inputs with their predictions (images as PNG data URLs; texts; table rows). */
  samples: Array<{ label: string; predicted: string; confidence: number; image?: string; text?: string; row?: Record<string, string> }>;
}

export interface PredictResult {
  predictions: Array<{ file: string; label?: string; probabilities?: Record<string, number>; error?: EngineErrorInfo }>;
}

/** The result types by task; `inspect` answers engine/data DatasetSummary & DataPreview, `export` ExportReport. */
export interface TaskResults {
  runJob: { summary: Record<string, unknown> };
  inspect: Record<string, unknown> & { preview: DataPreview };
  throughput: ThroughputResult;
  evaluate: EvaluateResult;
  predict: PredictResult;
  export: Record<string, unknown> & { outDir: string; files: string[] };
  profile: { file: string; chosen: string };
  backends: BackendsResult;
}

export interface BackendsResult {
  chosen: string;
  threads: number;
  backends: Array<{ name: string; available: boolean; reason: string }>;
}
