/**
 * The job supervisor: runs search jobs in engine processes, one at a time (a second job waits, `queued`: two jobs
 * sharing the cores would both miss their budgets), relays their events to the app (progress throttled), keeps
 * the store's job records current, and handles pause, resume and cancel. A pause or cancel stops the engine at its
 * next batch and leaves the job resumable from its journal. An engine that dies without answering (killed, crashed)
 * leaves its job `interrupted`, resumable as well; so do jobs that were running when the app itself died.
 */
import path from 'node:path';
import { NetSproutError } from '../../engine/errors.js';
import type { JobEventMessage } from '../../engine/protocol/messages.js';
import type { AppEvent, JobStatus } from '../common/appApi.js';
import { EngineFailure, EngineRun, type EngineLauncher } from './engineProcess.js';
import { EventThrottle } from './eventThrottle.js';
import { candidateRecord, type JobRecord } from './jobFolderRecord.js';
import type { ProjectStore } from './projectStore.js';

/**
 * How long a job may take to stop after a pause or cancel before its engine is ended. Every phase checks the stop
 * between its steps (batches, files read, architectures measured: engine/stopSignal.ts), so this is for an engine
 * still starting or stuck. Ending it is safe: the journal is flushed line by line, and a job resumes from it after
 * any stop.
 */
export const STOP_GRACE_MS = 10_000;
const MAX_RUNNING_JOBS = 1;

export interface LiveState {
  phase: string | null;
  progress: JobEventMessage | null;
}

interface ActiveRun {
  run: EngineRun<'runJob'>;
  requested: 'pause' | 'cancel' | null;
  throttle: EventThrottle;
  live: LiveState;
  settled: Promise<void>;
}

export interface SupervisorOptions {
  store: ProjectStore;
  launcher: EngineLauncher;
  emit(e: AppEvent): void;
  throttleMs(): number;
  stopGraceMs?: number;
}

const RESUMABLE: JobStatus[] = ['paused', 'interrupted', 'cancelled', 'failed'];

export class JobSupervisor {
  private readonly active = new Map<string, ActiveRun>();
  private readonly queue: string[] = [];

  constructor(private readonly opts: SupervisorOptions) {}

  /** Jobs the store shows as running or queued belong to an app that died: they are interrupted (and resumable). */
  async markInterrupted(): Promise<string[]> {
    const ids = this.opts.store.data.jobs.filter((j) => (j.status === 'running' || j.status === 'queued') && !this.active.has(j.id)).map((j) => j.id);
    for (const id of ids) await this.setStatus(id, 'interrupted');
    return ids;
  }

  live(jobId: string): LiveState | null {
    return this.active.get(jobId)?.live ?? null;
  }

  /** The engine process running a job (for tests and diagnostics). */
  enginePid(jobId: string): number | undefined {
    return this.active.get(jobId)?.run.pid;
  }

  isActive(jobId: string): boolean {
    return this.active.has(jobId);
  }

  /** Starts a job now, or queues it behind the one running. */
  async start(jobId: string): Promise<JobRecord> {
    const job = this.require(jobId);
    if (this.active.has(jobId) || this.queue.includes(jobId)) return job;
    if (this.active.size >= MAX_RUNNING_JOBS) {
      this.queue.push(jobId);
      return this.setStatus(jobId, 'queued');
    }
    return this.launch(job);
  }

  async resume(jobId: string): Promise<JobRecord> {
    const job = this.require(jobId);
    if (job.status === 'done') throw new NetSproutError('JOB_DONE', 'This job is finished; there is nothing to resume.', 'Start a new job to search again.');
    if (job.status === 'running' || job.status === 'queued') return job;
    if (!RESUMABLE.includes(job.status)) throw new NetSproutError('JOB_NOT_RESUMABLE', `A ${job.status} job cannot be resumed.`, '');
    return this.start(jobId);
  }

  async pause(jobId: string): Promise<JobRecord> {
    return this.stop(jobId, 'pause');
  }

  async cancel(jobId: string): Promise<JobRecord> {
    return this.stop(jobId, 'cancel');
  }

  /** Pauses every running job (the app is closing) and waits for their engines to stop. */
  async shutdown(): Promise<void> {
    this.queue.length = 0;
    await Promise.all([...this.active.keys()].map((id) => this.stop(id, 'pause').catch(() => undefined)));
  }

  private async stop(jobId: string, how: 'pause' | 'cancel'): Promise<JobRecord> {
    const job = this.require(jobId);
    const queued = this.queue.indexOf(jobId);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      return this.setStatus(jobId, how === 'pause' ? 'paused' : 'cancelled');
    }
    const active = this.active.get(jobId);
    if (!active) {
      if (how === 'cancel' && RESUMABLE.includes(job.status) && job.status !== 'cancelled') return this.setStatus(jobId, 'cancelled');
      if (how === 'pause' && job.status === 'paused') return job;
      throw new NetSproutError('JOB_NOT_RUNNING', `The job is ${job.status}, not running, so it cannot be ${how === 'pause' ? 'paused' : 'cancelled'}.`, job.status === 'done' ? 'It is finished.' : 'Resume it first.');
    }
    active.requested ??= how;
    active.run.control(how);
    const timer = setTimeout(() => active.run.kill('SIGKILL'), this.opts.stopGraceMs ?? STOP_GRACE_MS);
    try {
      await active.settled;
    } finally {
      clearTimeout(timer);
    }
    return this.require(jobId);
  }

  private async launch(job: JobRecord): Promise<JobRecord> {
    let run: EngineRun<'runJob'>;
    try {
      run = new EngineRun(this.opts.launcher, { task: 'runJob', jobDir: job.jobDir }, path.join(job.jobDir, 'engine.log'));
    } catch (e) {
      await this.setStatus(job.id, 'failed', { error: { code: 'ENGINE_START', message: `The engine could not be started: ${(e as Error).message}.`, hint: 'Reinstalling NetSprout restores its files.', files: [] } });
      throw e;
    }
    const active: ActiveRun = {
      run,
      requested: null,
      live: { phase: null, progress: null },
      throttle: new EventThrottle((event) => this.opts.emit({ type: 'job', jobId: job.id, event }), this.opts.throttleMs),
      settled: Promise.resolve(),
    };
    this.active.set(job.id, active);
    run.onEvent((e) => this.onEvent(job.id, active, e));
    active.settled = run.done.then(
      (r) => this.settle(job.id, active, { summary: r.summary }),
      (e) => this.settle(job.id, active, { failure: e as EngineFailure }),
    );
    return this.setStatus(job.id, 'running', { error: undefined });
  }

  private onEvent(jobId: string, active: ActiveRun, e: JobEventMessage): void {
    if (e.type === 'phase') active.live.phase = e.phase;
    if (e.type === 'progress') {
      active.live.progress = e;
      active.live.phase = e.phase;
    }
    if (e.type === 'candidate') {
      const rec = candidateRecord(jobId, e);
      void this.opts.store.update((d) => {
        const job = d.jobs.find((j) => j.id === jobId);
        if (!job) return;
        d.candidates = d.candidates.filter((c) => !(c.jobId === jobId && c.id === rec.id));
        d.candidates.push(rec);
        if (rec.status === 'trained') {
          job.candidates = d.candidates.filter((c) => c.jobId === jobId && c.status === 'trained').length;
          job.bestAccuracy = Math.max(job.bestAccuracy ?? 0, rec.accuracy);
        }
        job.elapsedSeconds = Math.max(job.elapsedSeconds, rec.elapsedSeconds);
        job.updatedAt = new Date().toISOString();
      });
    }
    active.throttle.push(e);
  }

  private async settle(jobId: string, active: ActiveRun, outcome: { summary?: Record<string, unknown>; failure?: EngineFailure }): Promise<void> {
    active.throttle.flush();
    const { summary, failure } = outcome;
    let status: JobStatus;
    let error: JobRecord['error'];
    if (summary) status = 'done';
    else if (active.requested) status = active.requested === 'pause' ? 'paused' : 'cancelled';
    else if (failure?.died) {
      status = 'interrupted';
      error = { code: failure.code, message: failure.message, hint: 'The job was kept: resume it to go on from where it stopped.', files: failure.files };
    } else if (failure?.stopped) status = failure.stopped;
    else {
      status = 'failed';
      error = failure ? { code: failure.code, message: failure.message, hint: failure.hint, files: failure.files } : undefined;
    }
    this.active.delete(jobId);
    await this.setStatus(jobId, status, {
      error,
      ...(summary
        ? {
            summary: { valAccuracy: Number(summary.valAccuracy), testAccuracy: (summary.testAccuracy as number | null) ?? null, params: Number(summary.params), bestId: String(summary.bestId) },
            elapsedSeconds: Number(summary.elapsedSeconds),
            candidates: Number(summary.candidates),
          }
        : {}),
    });
    const next = this.queue.shift();
    if (next) await this.launch(this.require(next)).catch(() => undefined);
  }

  private require(jobId: string): JobRecord {
    const job = this.opts.store.job(jobId);
    if (!job) throw new NetSproutError('JOB_MISSING', `There is no job ${jobId}.`, 'It may have been deleted with its project.');
    return job;
  }

  private async setStatus(jobId: string, status: JobStatus, extra: Partial<JobRecord> = {}): Promise<JobRecord> {
    const job = await this.opts.store.update((d) => {
      const j = d.jobs.find((x) => x.id === jobId);
      if (!j) return undefined;
      Object.assign(j, extra, { status, updatedAt: new Date().toISOString() });
      if ('error' in extra && extra.error === undefined) delete j.error;
      return { ...j };
    });
    if (!job) throw new NetSproutError('JOB_MISSING', `There is no job ${jobId}.`, '');
    this.opts.emit({ type: 'jobStatus', jobId, projectId: job.projectId, status, ...(job.error ? { error: job.error } : {}) });
    return job;
  }
}
