import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobEventMessage } from '../../../engine/protocol/messages.js';
import { EventThrottle } from '../../../main/services/eventThrottle.js';

const progress = (batch: number): JobEventMessage => ({ type: 'progress', phase: 'search', batch, batches: 1000 });
const candidate = (id: string): JobEventMessage => ({ type: 'candidate', id, parentId: null, morphs: [], status: 'trained', accuracy: 0.5, accuracyInherited: null, params: 10, seconds: 1 });

describe('event throttle', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('coalesces progress to one per interval, the latest winning, and lets every other event through in order', () => {
    const out: JobEventMessage[] = [];
    const t = new EventThrottle((e) => out.push(e), () => 250, () => Date.now());
    // 1000 batches, one every millisecond, with a candidate finished after batch 600.
    for (let b = 1; b <= 1000; b++) {
      t.push(progress(b));
      if (b === 600) t.push(candidate('c1'));
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(300);
    const batches = out.filter((e) => e.type === 'progress').map((e) => (e as { batch: number }).batch);
    // The first goes at once; then at most one per 250 ms, plus the one flushed before the candidate.
    expect(batches[0]).toBe(1);
    expect(batches.length).toBeGreaterThanOrEqual(4);
    expect(batches.length).toBeLessThanOrEqual(7);
    expect(batches.at(-1)).toBe(1000);
    expect([...batches].sort((a, b) => a - b)).toEqual(batches);
    // The candidate is not held back, and the progress it followed comes before it.
    const at = out.findIndex((e) => e.type === 'candidate');
    expect(at).toBeGreaterThan(0);
    expect((out[at - 1] as { batch: number }).batch).toBe(600);
  });

  it('sends the held-back progress on flush and nothing after it', () => {
    const out: JobEventMessage[] = [];
    const t = new EventThrottle((e) => out.push(e), () => 1000, () => Date.now());
    t.push(progress(1));
    t.push(progress(2));
    t.push(progress(3));
    expect(out).toHaveLength(1);
    t.flush();
    expect(out.map((e) => (e as { batch: number }).batch)).toEqual([1, 3]);
    vi.advanceTimersByTime(5000);
    expect(out).toHaveLength(2);
  });
});
