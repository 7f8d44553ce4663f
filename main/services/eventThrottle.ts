/**
 * Keeps the UI smooth during fast training: a job's `progress` events (one per batch) are coalesced to at most one
 * per interval, the latest one winning; every other event (phase, candidate, front, log, done) passes at once, after
 * the progress event it follows, so the order a person sees is the order things happened.
 */
import type { JobEventMessage } from '../../engine/protocol/messages.js';

export class EventThrottle {
  private pending: JobEventMessage | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastEmit = -Infinity;

  constructor(
    private readonly emit: (e: JobEventMessage) => void,
    private readonly intervalMs: () => number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  push(e: JobEventMessage): void {
    if (e.type !== 'progress') {
      this.flush();
      this.emit(e);
      return;
    }
    this.pending = e;
    if (this.timer) return;
    const wait = this.lastEmit + this.intervalMs() - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait);
  }

  /** Sends the progress event held back, if any. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const e = this.pending;
    this.pending = null;
    if (e) {
      this.lastEmit = this.now();
      this.emit(e);
    }
  }
}
