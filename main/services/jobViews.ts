/**
 * What the live view and the results show of a job, built from its journal (journal.jsonl, written by the
 * engine): the leaderboard, the best accuracy over time, the front and its hypervolume over generations, the
 * log, a candidate's lineage, and a candidate's architecture from its checkpoint's graph JSON with every layer's
 * output shape inferred by engine/graph.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { NetSproutError } from '../../engine/errors.js';
import { graphFromJSON } from '../../engine/graph/serialize.js';
import { inferShapes } from '../../engine/graph/shapes.js';
import type { Graph } from '../../engine/graph/types.js';
import { readJournal, type JournalEvent } from '../../engine/search/journal.js';
import type { CandidateDetail, CandidateRow, JobDetail, TargetChoice } from '../common/appApi.js';

export interface JournalView {
  rows: CandidateRow[];
  bestCurve: JobDetail['bestCurve'];
  front: JobDetail['front'];
  hypervolumeCurve: JobDetail['hypervolumeCurve'];
  log: JobDetail['log'];
  summary: JobDetail['summary'];
  /** The phase the journal shows last (live phases come from events). */
  phase: string | null;
  elapsedSeconds: number;
  /** Multiply-accumulates of each candidate, from the journal. */
  macs: Map<string, number>;
  error: { code: string; message: string } | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Layer counts in a few words: "5 conv, 1 dense, 2 skips". */
export function architectureSummary(graph: Graph): string {
  const count = (types: string[]) => graph.layers.filter((l) => types.includes(l.type)).length;
  const parts: Array<[number, string, string]> = [
    [count(['conv2d', 'separableConv2d', 'depthwiseConv2d', 'conv1d']), 'conv', 'conv'],
    [count(['dense']), 'dense', 'dense'],
    [count(['add', 'concat']), 'skip', 'skips'],
    [count(['maxPool2d', 'avgPool2d', 'maxPool1d', 'avgPool1d']), 'pool', 'pools'],
  ];
  return parts.filter(([n]) => n > 0).map(([n, one, many]) => `${n} ${n === 1 ? one : many}`).join(', ') || `${graph.layers.length} layers`;
}

function morphSummary(ops: string[]): string {
  if (!ops.length) return 'seed network';
  const counts = new Map<string, number>();
  for (const op of ops) counts.set(op, (counts.get(op) ?? 0) + 1);
  return `seed + ${[...counts].map(([op, n]) => `${n} ${op}`).join(', ')}`;
}

function checkpointGraphFile(jobDir: string, id: string): string {
  return id === 'final' ? path.join(jobDir, 'final', 'graph.json') : path.join(jobDir, 'candidates', id, 'graph.json');
}

function readGraph(file: string): Graph | null {
  if (!existsSync(file)) return null;
  try {
    return graphFromJSON(JSON.parse(readFileSync(file, 'utf8')), file);
  } catch {
    return null;
  }
}

/** Candidates that no other one dominates on (accuracy up, latency or else parameters down). */
export function paretoFront(rows: CandidateRow[]): Set<string> {
  const trained = rows.filter((r) => r.status === 'trained');
  const cost = (r: CandidateRow) => r.latencyMs ?? r.latencyPredictedMs ?? r.params;
  const front = new Set<string>();
  for (const a of trained) {
    const dominated = trained.some((b) => b !== a && b.accuracy >= a.accuracy && cost(b) <= cost(a) && (b.accuracy > a.accuracy || cost(b) < cost(a)));
    if (!dominated) front.add(a.id);
  }
  return front;
}

const cache = new Map<string, { size: number; mtimeMs: number; view: JournalView }>();

/** The job's journal as views; cached until the journal grows. */
export function readJobView(jobDir: string): JournalView {
  const file = path.join(jobDir, 'journal.jsonl');
  const st = existsSync(file) ? statSync(file) : null;
  const hit = cache.get(jobDir);
  if (st && hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.view;
  let events: JournalEvent[] = [];
  try {
    events = readJournal(file).events;
  } catch (e) {
    throw new NetSproutError('JOURNAL_DAMAGED', `The journal of the job in ${jobDir} is damaged: ${(e as Error).message}.`, 'The job cannot be shown; its checkpoints are still in the folder.', [file]);
  }
  const view = viewFromEvents(jobDir, events);
  if (st) cache.set(jobDir, { size: st.size, mtimeMs: st.mtimeMs, view });
  return view;
}

export function viewFromEvents(jobDir: string, events: JournalEvent[]): JournalView {
  const fronts = events.filter((e) => e.type === 'front');
  const lastFront = fronts.at(-1);
  const frontMembers = (lastFront?.members as Array<Record<string, unknown>> | undefined) ?? [];
  const measured = new Map(frontMembers.map((m) => [String(m.id), num(m.latencyMs)]));
  const macs = new Map<string, number>();
  const rows: CandidateRow[] = [];
  const parents = new Map<string, string | null>();
  const ops = new Map<string, string[]>();
  for (const e of events) {
    if (e.type !== 'candidate') continue;
    const id = String(e.id);
    const parentId = (e.parentId as string | null) ?? null;
    const own = ((e.morphs as Array<{ op?: unknown }> | undefined) ?? []).map((m) => String(m.op ?? '?'));
    parents.set(id, parentId);
    ops.set(id, [...(parentId ? (ops.get(parentId) ?? []) : []), ...own]);
    macs.set(id, num(e.macs) ?? 0);
    const graph = readGraph(checkpointGraphFile(jobDir, id));
    rows.push({
      id,
      parentId,
      morphs: own,
      status: e.status === 'failed' ? 'failed' : 'trained',
      accuracy: num(e.accuracy) ?? 0,
      accuracyInherited: num(e.accuracyInherited),
      params: num(e.params) ?? 0,
      latencyPredictedMs: num(e.latencyPredictedMs),
      latencyMs: measured.get(id) ?? num(e.latencyMs),
      seconds: num(e.seconds) ?? 0,
      elapsedSeconds: num(e.elapsedSeconds) ?? 0,
      onFront: false,
      summary: graph ? architectureSummary(graph) : morphSummary(ops.get(id) ?? []),
      ...(typeof e.reason === 'string' ? { reason: e.reason } : {}),
    });
  }
  const onFront = lastFront ? new Set(frontMembers.map((m) => String(m.id))) : paretoFront(rows);
  for (const r of rows) r.onFront = onFront.has(r.id);
  const bestCurve: JournalView['bestCurve'] = [];
  let best = -Infinity;
  for (const r of rows) {
    if (r.status === 'trained' && r.accuracy > best) {
      best = r.accuracy;
      bestCurve.push({ elapsedSeconds: r.elapsedSeconds, accuracy: r.accuracy });
    }
  }
  const front: JournalView['front'] = lastFront
    ? frontMembers.map((m) => ({ id: String(m.id), valAccuracy: num(m.valAccuracy) ?? 0, latencyPredictedMs: num(m.latencyPredictedMs), latencyMs: num(m.latencyMs), params: num(m.params) ?? 0 }))
    : rows.filter((r) => r.onFront).sort((a, b) => b.accuracy - a.accuracy).map((r) => ({ id: r.id, valAccuracy: r.accuracy, latencyPredictedMs: r.latencyPredictedMs, latencyMs: r.latencyMs, params: r.params }));
  const done = events.find((e) => e.type === 'done');
  const s = done?.summary as Record<string, unknown> | undefined;
  const errorEvent = events.filter((e) => e.type === 'error').at(-1);
  let phase: string | null = null;
  if (done) phase = 'done';
  else if (events.some((e) => e.type === 'log' && /final training/i.test(String(e.message)))) phase = 'final';
  else if (events.some((e) => e.type === 'plan')) phase = 'search';
  else if (events.length) phase = 'data';
  return {
    rows,
    bestCurve,
    front,
    hypervolumeCurve: fronts.map((f) => ({ generation: num(f.generation) ?? 0, hypervolume: num(f.hypervolume) ?? 0 })),
    log: events.filter((e) => e.type === 'log').map((e) => ({ elapsedSeconds: num(e.elapsedSeconds) ?? 0, message: String(e.message) })),
    summary: s ? { valAccuracy: num(s.valAccuracy) ?? 0, testAccuracy: num(s.testAccuracy), params: num(s.params) ?? 0, bestId: String(s.bestId) } : null,
    phase,
    elapsedSeconds: Math.max(0, ...events.map((e) => num(e.elapsedSeconds) ?? 0)),
    macs,
    error: errorEvent ? { code: String(errorEvent.code), message: String(errorEvent.message) } : null,
  };
}

/** The candidate to recommend for the chosen limits: the job's best when it is done, else the most accurate within them. */
export function recommendedCandidate(view: JournalView, target: TargetChoice): string | null {
  if (view.summary) return view.summary.bestId;
  const within = view.rows.filter(
    (r) =>
      r.status === 'trained' &&
      (target.maxParams === undefined || r.params <= target.maxParams) &&
      (target.maxSizeMb === undefined || (r.params * 4) / 1e6 <= target.maxSizeMb) &&
      (target.maxLatencyMs === undefined || (r.latencyMs ?? r.latencyPredictedMs ?? 0) <= target.maxLatencyMs),
  );
  return within.sort((a, b) => b.accuracy - a.accuracy)[0]?.id ?? null;
}

/** One candidate (or 'final', the job's final model): its row, its architecture when kept, its lineage. */
export function candidateDetail(jobDir: string, view: JournalView, candidateId: string): CandidateDetail {
  let row = view.rows.find((r) => r.id === candidateId);
  if (!row && candidateId === 'final' && view.summary) {
    const base = view.rows.find((r) => r.id === view.summary!.bestId);
    row = { ...(base ?? ({} as CandidateRow)), id: 'final', parentId: view.summary.bestId, morphs: [], accuracy: view.summary.valAccuracy, accuracyInherited: base?.accuracy ?? null, params: view.summary.params, status: 'trained', onFront: false, summary: base?.summary ?? '', seconds: 0, elapsedSeconds: view.elapsedSeconds, latencyMs: base?.latencyMs ?? null, latencyPredictedMs: base?.latencyPredictedMs ?? null };
  }
  if (!row) {
    throw new NetSproutError('CANDIDATE_MISSING', `The job has no candidate ${candidateId}.`, `Its candidates are ${view.rows.map((r) => r.id).slice(0, 20).join(', ') || 'none yet'}.`, [jobDir]);
  }
  const lineage: CandidateDetail['lineage'] = [];
  const byId = new Map(view.rows.map((r) => [r.id, r]));
  for (let at: CandidateRow | undefined = row, guard = 0; at && guard < 10_000; guard++) {
    lineage.unshift({ id: at.id, morphs: at.morphs, accuracy: at.status === 'trained' ? at.accuracy : null });
    at = at.parentId ? byId.get(at.parentId) : undefined;
  }
  const graph = readGraph(checkpointGraphFile(jobDir, candidateId));
  const macs = candidateId === 'final' ? (view.macs.get(view.summary?.bestId ?? '') ?? 0) : (view.macs.get(candidateId) ?? 0);
  if (!graph) {
    return { row, graph: null, graphMissing: 'The search did not keep this candidate\'s checkpoint (it keeps only the candidates it may still build on), so its architecture cannot be drawn; its lineage shows how it was grown.', lineage, flops: 2 * macs };
  }
  const shapes = inferShapes(graph);
  return {
    row,
    graph: {
      input: graph.layers.find((l) => l.type === 'input')?.id ?? '',
      output: graph.output,
      layers: graph.layers.map((l) => ({ id: l.id, type: l.type, inputs: [...l.inputs], params: { ...(l.params as Record<string, unknown>) }, shape: shapes.get(l.id) ?? [] })),
    },
    lineage,
    flops: 2 * macs,
  };
}
