import { describe, expect, it } from 'vitest';
import { recommendFromFront } from '../../engine/search/recommendation.js';

describe('the recommended model of a front', () => {
  // The 15-minute hill-climbing search on Fashion-MNIST (6,000 validation images): its two best networks.
  const front = [
    { id: 'c2-3', accuracy: 0.8953, epochSeconds: 116 },
    { id: 'c2-2', accuracy: 0.8948, epochSeconds: 70 },
    { id: 'c1-3', accuracy: 0.868, epochSeconds: 48 },
  ];
  const epochSeconds = (id: string) => front.find((m) => m.id === id)!.epochSeconds;

  it('takes the fastest to train of the members within one standard error of the most accurate', () => {
    const r = recommendFromFront(front, { validationCount: 6000, epochSeconds });
    expect(r.id).toBe('c2-2');
    expect(r.standardError).toBeCloseTo(Math.sqrt((0.8953 * 0.1047) / 6000), 12);
    expect(r.instead).toEqual({ id: 'c2-3', accuracy: 0.8953, epochSeconds: 116 });
  });

  it('keeps the most accurate when the validation split tells the others apart, or when it is also the fastest', () => {
    // Half a point apart on a million samples is far beyond the standard error (0.03 points).
    expect(recommendFromFront(front, { validationCount: 1_000_000, epochSeconds })).toMatchObject({ id: 'c2-3', instead: null });
    expect(recommendFromFront(front, { validationCount: 6000, epochSeconds: (id) => (id === 'c2-3' ? 10 : 100) })).toMatchObject({ id: 'c2-3', instead: null });
    // Perfect validation accuracy has no spread: only an equally perfect member could stand in for it.
    expect(recommendFromFront([{ id: 'a', accuracy: 1 }, { id: 'b', accuracy: 0.999 }], { validationCount: 100, epochSeconds: (id) => (id === 'a' ? 2 : 1) }).id).toBe('a');
    expect(() => recommendFromFront([], { validationCount: 10, epochSeconds })).toThrow();
  });
});
