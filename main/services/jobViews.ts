/**
 * What the live view and the results show of a job, built from its journal (journal.jsonl, written by the
 * engine): the leaderboard, the best accuracy over time, the front and its hypervolume over generations, the
 * log, a candidate's lineage, and a candidate's architecture from the graph JSON the job keeps for every candidate
 * (graphs/<id>.json; for jobs of an older engine, the checkpoint's graph while it is kept) with every layer's output
 * shape inferred by engine/graph.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { NetSproutError } from '../../engine/errors.js';
import { graphFromJSON } from '../../engine/graph/serialize.js';
import { inferShapes } from '../../engine/graph/shapes.js';
import type { Graph } from '../../engine/graph/types.js';
import { readJournal, type JournalEvent } from '../../engine/search/journal.js';
import type { CandidateDetail, CandidateRow, JobDetail, JobStatus, TargetChoice } from '../common/appApi.js';

export interface JournalView {
  rows: CandidateRow[];
  bestCurve: JobDetail['bestCurve'];
  front: JobDetail['front'];
  hypervolumeCurve: JobDetail['hypervolumeCurve'];
  log: JobDetail['log'];
  summary: JobDetail['summary'];
  /** The strategy `auto` chose (journalled once per job). */
  chosenStrategy: string | null;
  /** The phase the journal's last run reached (a running job's phase comes from its engine's events: jobPhase). */
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

/** Where a candidate's graph may be: the job's graphs/ folder (every candidate), else its checkpoint (older jobs). */
function graphFiles(jobDir: string, id: string): string[] {
  if (id === 'final') return [path.join(jobDir, 'final', 'graph.json')];
  return [path.join(jobDir, 'graphs', `${id}.json`), path.join(jobDir, 'candidates', id, 'graph.json')];
}

function readGraph(jobDir: string, id: string): Graph | null {
  for (const file of graphFiles(jobDir, id)) {
    if (!existsSync(file)) continue;
    try {
      return graphFromJSON(JSON.parse(readFileSync(file, 'utf8')), file);
    } catch {
      // A damaged file: try the next place.
    }
  }
  return null;
}

/** A candidate's graph never changes once written: its summary is read once (a job has hundreds of candidates). */
const summaries = new Map<string, string>();

function candidateSummary(jobDir: string, id: string): string | null {
  const key = path.join(jobDir, id);
  const known = summaries.get(key);
  if (known !== undefined) return known;
  const graph = readGraph(jobDir, id);
  if (!graph) return null;
  const summary = architectureSummary(graph);
  if (id !== 'final') summaries.set(key, summary);
  return summary;
}

/**
 * The phase a job's journal shows its last run reached (since its last `started` or `resumed` event). The engine does
 * not journal its phases, so they are told from what each phase leaves: the target profile, the plan, candidates,
 * the verified front, the final training's announcement, the summary.
 */
export function journalPhase(events: JournalEvent[]): string | null {
  if (!events.length) return null;
  if (events.some((e) => e.type === 'done')) return 'done';
  let start = -1;
  events.forEach((e, i) => {
    if (e.type === 'started' || e.type === 'resumed') start = i;
  });
  const run = events.slice(start + 1);
  if (run.some((e) => e.type === 'log' && /^Recommended candidate\b/.test(String(e.message)))) return 'final';
  if (run.some((e) => e.type === 'front' && e.verified === true)) return 'verify';
  if (run.some((e) => e.type === 'candidate' || e.type === 'plan' || e.type === 'heartbeat' || e.type === 'strategy')) return 'search';
  if (run.some((e) => e.type === 'target')) return 'profile';
  return 'data';
}

/**
 * The phase to show for a job: a running (or queued) job's comes only from its engine's events, null until the first
 * one arrives ("starting"), never from the journal of an earlier run; a finished one is done; a stopped one shows the
 * phase its last run reached.
 */
export function jobPhase(status: JobStatus, livePhase: string | null | undefined, view: Pick<JournalView, 'phase'> | null): string | null {
  if (status === 'running' || status === 'queued') return livePhase ?? null;
  if (status === 'done') return 'done';
  return view?.phase ?? null;
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
  for (const e of events) {
    if (e.type !== 'candidate') continue;
    const id = String(e.id);
    const parentId = (e.parentId as string | null) ?? null;
    const own = ((e.morphs as Array<{ op?: unknown }> | undefined) ?? []).map((m) => String(m.op ?? '?'));
    macs.set(id, num(e.macs) ?? 0);
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
      summary: candidateSummary(jobDir, id),
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
  const choice = events.find((e) => e.type === 'strategy-choice');
  return {
    rows,
    bestCurve,
    front,
    hypervolumeCurve: fronts.map((f) => ({ generation: num(f.generation) ?? 0, hypervolume: num(f.hypervolume) ?? 0 })),
    log: events.filter((e) => e.type === 'log').map((e) => ({ elapsedSeconds: num(e.elapsedSeconds) ?? 0, message: String(e.message) })),
    summary: s ? { valAccuracy: num(s.valAccuracy) ?? 0, testAccuracy: num(s.testAccuracy), params: num(s.params) ?? 0, bestId: String(s.bestId) } : null,
    phase: journalPhase(events),
    chosenStrategy: typeof choice?.strategy === 'string' ? choice.strategy : null,
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
    row = { ...(base ?? ({} as CandidateRow)), id: 'final', parentId: view.summary.bestId, morphs: [], accuracy: view.summary.valAccuracy, accuracyInherited: base?.accuracy ?? null, params: view.summary.params, status: 'trained', onFront: false, summary: candidateSummary(jobDir, 'final') ?? base?.summary ?? null, seconds: 0, elapsedSeconds: view.elapsedSeconds, latencyMs: base?.latencyMs ?? null, latencyPredictedMs: base?.latencyPredictedMs ?? null };
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
  const graph = readGraph(jobDir, candidateId);
  const macs = candidateId === 'final' ? (view.macs.get(view.summary?.bestId ?? '') ?? 0) : (view.macs.get(candidateId) ?? 0);
  if (!graph) {
    return { row, graph: null, graphMissing: 'This job was made by an older NetSprout that kept the architecture only of the candidates it could still build on, so this one cannot be drawn; its lineage shows how it was grown.', lineage, flops: 2 * macs };
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
