/**
 * A job as the live view sees it: the services' JobDetail (the truth, re-read at most once a second after
 * candidates, fronts and status changes) plus the progress events in between (phase, candidate, epoch, time),
 * with the clock ticking locally so the bar and the time left move smoothly between events.
 */
import type { JobDetail, JobEventMessage, JobStatus } from '../../../main/common/appApi';
import { api, app, onAppEvent } from './app.svelte';
import { toAppError, type AppCallError } from './api/appError';

export interface LiveProgress {
  phase: string | null;
  candidate?: string;
  epoch?: number;
  epochs?: number;
  elapsedSeconds: number;
  budgetSeconds: number;
  etaSeconds: number | null;
  /** When the figures above were received (ms since epoch), to advance the clock between events. */
  at: number;
}

const ACTIVE: JobStatus[] = ['queued', 'running'];
const REFRESH_MS = 1000;
const POLL_MS = 8000;

export class LiveJob {
  job = $state<JobDetail | null>(null);
  error = $state<AppCallError | null>(null);
  progress = $state<LiveProgress | null>(null);
  now = $state(Date.now());

  readonly jobId: string;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshing = false;
  private again = false;
  private lastRefresh = 0;
  private stops: Array<() => void> = [];

  constructor(jobId: string) {
    this.jobId = jobId;
  }

  get active(): boolean {
    return !!this.job && ACTIVE.includes(this.job.status);
  }

  /** Seconds spent so far, advanced by the local clock while the job runs. */
  get elapsed(): number {
    const p = this.progress;
    const base = p ? p.elapsedSeconds : (this.job?.elapsedSeconds ?? 0);
    if (!this.active || !p) return base;
    return base + Math.max(0, (this.now - p.at) / 1000);
  }

  get budget(): number {
    return this.progress?.budgetSeconds || this.job?.budgetSeconds || 0;
  }

  get fraction(): number {
    if (this.job?.status === 'done') return 1;
    const b = this.budget;
    const byTime = b > 0 ? this.elapsed / b : 0;
    return Math.min(1, Math.max(byTime, this.job?.progress?.fraction ?? 0));
  }

  get etaSeconds(): number | null {
    if (!this.active) return null;
    const p = this.progress;
    if (p?.etaSeconds !== null && p?.etaSeconds !== undefined) return Math.max(0, p.etaSeconds - (this.now - p.at) / 1000);
    if (this.job?.progress?.etaSeconds !== null && this.job?.progress?.etaSeconds !== undefined) return this.job.progress.etaSeconds;
    return this.budget ? Math.max(0, this.budget - this.elapsed) : null;
  }

  get phase(): string | null {
    return this.progress?.phase ?? this.job?.phase ?? null;
  }

  start(): () => void {
    void this.refresh();
    this.stops.push(
      onAppEvent((e) => {
        if (e.type === 'job' && e.jobId === this.jobId) this.onJobEvent(e.event);
        else if (e.type === 'jobStatus' && e.jobId === this.jobId) {
          // A job started again begins a new run: what the last run showed (its phase, its clock) is not its state.
          if (this.job && ACTIVE.includes(e.status) && !ACTIVE.includes(this.job.status)) this.progress = null;
          if (this.job) {
            this.job.status = e.status;
            if (e.error) this.job.error = e.error;
          }
          this.scheduleRefresh(0);
        }
      }),
    );
    const tick = setInterval(() => (this.now = Date.now()), 1000);
    // Events may be lost while the connection is down; a slow poll catches up.
    const poll = setInterval(() => {
      if (this.active || app.connection !== 'open') this.scheduleRefresh(0);
    }, POLL_MS);
    this.stops.push(() => clearInterval(tick), () => clearInterval(poll), () => clearTimeout(this.refreshTimer));
    return () => this.stops.splice(0).forEach((s) => s());
  }

  private onJobEvent(ev: JobEventMessage): void {
    const at = Date.now();
    const budgetSeconds = ev.budgetSeconds ?? this.budget;
    if (ev.type === 'progress') {
      this.progress = {
        phase: ev.phase,
        candidate: ev.candidate,
        epoch: ev.epoch,
        epochs: ev.epochs,
        elapsedSeconds: ev.elapsedSeconds ?? this.elapsed,
        budgetSeconds,
        etaSeconds: ev.etaSeconds ?? null,
        at,
      };
      if (this.job && !ACTIVE.includes(this.job.status)) this.scheduleRefresh(REFRESH_MS);
      return;
    }
    if (ev.type === 'phase') {
      this.progress = { ...(this.progress ?? { etaSeconds: null }), phase: ev.phase, candidate: undefined, epoch: undefined, epochs: undefined, elapsedSeconds: ev.elapsedSeconds ?? this.elapsed, budgetSeconds, at };
    }
    this.scheduleRefresh(ev.type === 'done' ? 0 : REFRESH_MS);
  }

  /** At most one getJob a second, and never two at once. */
  private scheduleRefresh(minGapMs: number): void {
    if (this.refreshTimer !== undefined) return;
    const wait = Math.max(0, this.lastRefresh + minGapMs - Date.now());
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      void this.refresh();
    }, wait);
  }

  async refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return;
    }
    this.refreshing = true;
    this.lastRefresh = Date.now();
    try {
      const job = await api.getJob(this.jobId);
      this.job = job;
      this.error = null;
      // The services' figures replace the local ones when they are newer.
      if (!this.progress || !ACTIVE.includes(job.status) || job.elapsedSeconds > this.elapsed) {
        this.progress = {
          phase: job.phase,
          candidate: job.progress?.candidate,
          epoch: job.progress?.epoch,
          epochs: job.progress?.epochs,
          elapsedSeconds: job.elapsedSeconds,
          budgetSeconds: job.budgetSeconds,
          etaSeconds: job.progress?.etaSeconds ?? null,
          at: Date.now(),
        };
      }
    } catch (e) {
      this.error = toAppError(e, 'getJob');
    } finally {
      this.refreshing = false;
      if (this.again) {
        this.again = false;
        this.scheduleRefresh(REFRESH_MS);
      }
    }
  }
}

/** What a phase is, in words. */
export function phaseWords(phase: string | null | undefined): string {
  const words: Record<string, string> = {
    data: 'Reading your data',
    prepare: 'Preparing',
    throughput: 'Measuring this computer',
    profile: 'Measuring the target device',
    latency: 'Measuring speed',
    seed: 'Training the first networks',
    search: 'Trying network designs',
    final: 'Training the final model',
    evaluate: 'Testing the final model',
    export: 'Exporting',
    done: 'Finished',
  };
  if (!phase) return 'Starting';
  return words[phase] ?? phase.charAt(0).toUpperCase() + phase.slice(1);
}
