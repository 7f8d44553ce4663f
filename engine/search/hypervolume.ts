/**
 * The hypervolume of a set of points (every objective minimised): the volume dominated by the points and bounded
 * by a reference point (Laube §5.3.1). Exact: a sweep in two dimensions (sort by the first objective, add the
 * rectangles), and in more dimensions slices along the last objective, each the hypervolume of the points below it
 * in one dimension fewer. Points that are not strictly better than the reference in every objective add nothing;
 * dominated points and the order of the points change nothing.
 */
import type { Objectives } from './dominance.js';

function sweep2d(points: readonly Objectives[], ref: Objectives): number {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let volume = 0;
  let lowest = ref[1];
  for (const p of sorted) {
    if (p[1] >= lowest) continue;
    volume += (ref[0] - p[0]) * (lowest - p[1]);
    lowest = p[1];
  }
  return volume;
}

function slices(points: readonly Objectives[], ref: Objectives): number {
  const d = ref.length;
  if (points.length === 0) return 0;
  if (d === 1) return ref[0] - Math.min(...points.map((p) => p[0]));
  if (d === 2) return sweep2d(points, ref);
  const sorted = [...points].sort((a, b) => a[d - 1] - b[d - 1]);
  const lower = ref.slice(0, d - 1);
  let volume = 0;
  for (let i = 0; i < sorted.length; i++) {
    const top = i + 1 < sorted.length ? sorted[i + 1][d - 1] : ref[d - 1];
    const depth = top - sorted[i][d - 1];
    if (depth <= 0) continue;
    volume += depth * slices(sorted.slice(0, i + 1).map((p) => p.slice(0, d - 1)), lower);
  }
  return volume;
}

export function hypervolume(points: readonly Objectives[], ref: Objectives): number {
  const inside = points.filter((p) => p.length === ref.length && p.every((v, i) => Number.isFinite(v) && v < ref[i]));
  return slices(inside, ref);
}
