/**
 * Pareto dominance over objective vectors, every objective minimised (validation error, latency, size):
 * a dominates b when it is no worse in every objective and better in at least one (Laube, eqs. 5.2–5.3).
 * Deb's fast non-dominated sorting (NSGA-II, O(M·N²)) and the crowding distance that NSGA-II uses to keep a front
 * spread out.
 */

export type Objectives = readonly number[];

export function dominates(a: Objectives, b: Objectives): boolean {
  let strictly = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i] > b[i]) return false;
    if (a[i] < b[i]) strictly = true;
  }
  return strictly;
}

/**
 * The fronts of a set of points, best first: front 0 is the non-dominated set, front 1 the non-dominated set of
 * the rest, and so on. Returns indices into `points`, each front in ascending index order.
 */
export function nonDominatedSort(points: readonly Objectives[]): number[][] {
  const n = points.length;
  const dominatedBy = new Array<number>(n).fill(0);
  const dominating: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (dominates(points[i], points[j])) {
        dominating[i].push(j);
        dominatedBy[j]++;
      } else if (dominates(points[j], points[i])) {
        dominating[j].push(i);
        dominatedBy[i]++;
      }
    }
  }
  const fronts: number[][] = [];
  let current = points.map((_, i) => i).filter((i) => dominatedBy[i] === 0);
  while (current.length) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current) {
      for (const j of dominating[i]) if (--dominatedBy[j] === 0) next.push(j);
    }
    current = next.sort((a, b) => a - b);
  }
  return fronts;
}

/** Indices of the non-dominated points (front 0). Points with equal objectives are all kept. */
export function paretoFront(points: readonly Objectives[]): number[] {
  return points.map((_, i) => i).filter((i) => !points.some((q, j) => j !== i && dominates(q, points[i])));
}

/**
 * NSGA-II's crowding distance of every point of one front: for each objective, the points sorted by it, the two
 * extremes get infinity and the others the distance between their neighbours divided by the objective's range;
 * summed over the objectives. An objective that is constant over the front adds nothing.
 */
export function crowdingDistance(front: readonly Objectives[]): number[] {
  const n = front.length;
  const d = new Array<number>(n).fill(0);
  if (n === 0) return d;
  const m = front[0].length;
  for (let k = 0; k < m; k++) {
    // Stable order: ties keep their input order, so the result does not depend on the sort implementation.
    const order = front.map((_, i) => i).sort((a, b) => front[a][k] - front[b][k] || a - b);
    const lo = front[order[0]][k];
    const hi = front[order[n - 1]][k];
    d[order[0]] = Infinity;
    d[order[n - 1]] = Infinity;
    if (hi === lo) continue;
    for (let r = 1; r < n - 1; r++) d[order[r]] += (front[order[r + 1]][k] - front[order[r - 1]][k]) / (hi - lo);
  }
  return d;
}

/**
 * NSGA-II's survival: the `size` best points by rank (front), the last front that does not fit whole cut by
 * crowding distance (largest first; ties by index). Returns indices into `points`.
 */
export function rankAndCrowdingSelect(points: readonly Objectives[], size: number): number[] {
  const chosen: number[] = [];
  for (const front of nonDominatedSort(points)) {
    if (chosen.length + front.length <= size) {
      chosen.push(...front);
      continue;
    }
    const dist = crowdingDistance(front.map((i) => points[i]));
    const byCrowding = front.map((i, r) => ({ i, d: dist[r] })).sort((a, b) => b.d - a.d || a.i - b.i);
    chosen.push(...byCrowding.slice(0, size - chosen.length).map((x) => x.i));
    break;
  }
  return chosen;
}
