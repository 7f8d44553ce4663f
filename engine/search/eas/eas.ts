/**
 * EAS, Efficient Architecture Search by network transformation (Cai et al., AAAI 2018): a meta-controller
 * (metaController.ts) transforms the stage's start network by function-preserving Net2Wider (with noise) and
 * Net2Deeper actions — the wider steps first, then the deeper ones, the architecture encoded again before each
 * step, as the authors' code does — and each transformed network, its weights inherited, is trained a few epochs;
 * its validation accuracy is the reward. After every generation the controller takes one REINFORCE step. After
 * `stageSize` networks, the best network found becomes the start of the next stage.
 *
 * Resuming: every generation's sampled actions are written to the job folder before they are trained
 * (eas-generation-<g>.json); a resumed job rebuilds those networks from the actions instead of sampling, and
 * replays the controller's updates from the journaled accuracies, so the controller is the same as before the
 * stop. The controller's weights after each update are saved too (eas-controller.json).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { graphHash } from '../../graph/serialize.js';
import type { Graph } from '../../graph/types.js';
import { MorphError, type ModelState, type MorphRecord } from '../../morph/modelState.js';
import { BestSoFar, type CandidateResult, type Proposal, scratchProposal, type SearchStrategy, type StrategyContext } from '../strategy.js';
import { stepRandom } from '../strategyServices.js';
import { applyDeeper, applyWider, DEEPER_KERNELS, easView } from './easSpace.js';
import { MetaController, type ControllerStep } from './metaController.js';

export interface EasParams {
  epochSeed: number;
  epochChild: number;
  /** Networks sampled per controller step (the paper: 10). */
  batch: number;
  /** Net2Wider and Net2Deeper steps per network (the paper: 4 and 5). */
  widerSteps: number;
  deeperSteps: number;
  /** Networks per stage before the best becomes the new start point (the paper: 300, then 150). */
  stageSize: number;
}

interface Episode {
  id: string;
  steps: ControllerStep[];
}

/** Applies an episode's actions to the start network (the noise of Net2Wider drawn from the episode's own generator). */
function replayEpisode(start: ModelState, steps: ControllerStep[], seed: number, id: string): { state: ModelState; morphs: MorphRecord[] } {
  const rng = stepRandom(seed, `eas-apply-${id}`);
  let state = start;
  const morphs: MorphRecord[] = [];
  for (const s of steps) {
    const view = easView(state.graph);
    if (s.type === 'wider') {
      const r = applyWider(state, view, s.decisions, rng);
      state = r.state;
      morphs.push(...r.records);
    } else {
      try {
        const r = applyDeeper(state, view, s.block, s.index, DEEPER_KERNELS[s.kernel]);
        state = { graph: r.graph, weights: r.weights };
        morphs.push(r.record);
      } catch (e) {
        if (!(e instanceof MorphError)) throw e;
      }
    }
  }
  return { state, morphs };
}

export class Eas implements SearchStrategy {
  readonly name = 'eas';
  private controller: MetaController | null = null;
  private generation = 0;
  private stage = { id: 'e0', accuracy: -1, sampled: 0 };
  private episodes = new Map<string, Episode>();
  private readonly seen = new Set<string>();
  private readonly best = new BestSoFar();
  private stateDir: string | null = null;

  constructor(readonly params: EasParams) {}

  async nextGeneration(ctx: StrategyContext): Promise<Proposal[] | null> {
    const seed = ctx.services?.jobSeed ?? 0;
    this.stateDir = ctx.services?.stateDir ?? null;
    if (this.generation === 0) {
      this.generation = 1;
      this.controller = new MetaController(seed);
      this.seen.add(graphHash(ctx.seed));
      return [scratchProposal('e0', ctx.seed, this.params.epochSeed)];
    }
    if (this.best.id === null) return null;
    // A new stage starts from the best network so far.
    if (this.stage.sampled >= this.params.stageSize && this.best.id !== this.stage.id) this.stage = { id: this.best.id, accuracy: this.best.accuracy, sampled: 0 };
    const start = await ctx.loadState(this.stage.id);
    if (this.params.batch * this.params.epochChild * ctx.epochSeconds(start.graph) * 1.5 > ctx.searchSecondsLeft()) return null;
    const g = this.generation++;
    const file = this.stateDir ? path.join(this.stateDir, `eas-generation-${g}.json`) : null;
    let episodes: Episode[];
    if (file && existsSync(file)) episodes = (JSON.parse(readFileSync(file, 'utf8')) as { episodes: Episode[] }).episodes;
    else {
      episodes = this.sample(start, g, seed, ctx.fits);
      if (file) {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, JSON.stringify({ generation: g, stage: this.stage.id, episodes }));
      }
    }
    const proposals: Proposal[] = [];
    for (const e of episodes) {
      const { state, morphs } = replayEpisode(start, e.steps, seed, e.id);
      this.episodes.set(e.id, e);
      this.seen.add(graphHash(state.graph));
      proposals.push({ id: e.id, parentId: this.stage.id, morphs, state, inherit: true, epochs: this.params.epochChild });
    }
    this.stage.sampled += proposals.length;
    return proposals.length ? proposals : null;
  }

  /** Samples a generation's episodes with the controller; an architecture seen before is drawn again (up to 4 times). */
  private sample(start: ModelState, g: number, seed: number, fits: (graph: Graph) => boolean): Episode[] {
    const controller = this.controller!;
    const rng = stepRandom(seed, `eas-sample-${g}`);
    const out: Episode[] = [];
    for (let k = 0; k < this.params.batch; k++) {
      const id = `e${g}-${k}`;
      for (let attempt = 0; attempt < 4; attempt++) {
        const steps: ControllerStep[] = [];
        let state = start;
        const applyRng = stepRandom(seed, `eas-apply-${id}`);
        for (let w = 0; w < this.params.widerSteps; w++) {
          const view = easView(state.graph);
          const step = controller.sampleWider(view.tokens, view.widen.map((x) => x !== null), rng);
          const r = applyWider(state, view, step.decisions, applyRng);
          if (!fits(r.state.graph)) step.decisions = step.decisions.map(() => false);
          else state = r.state;
          steps.push(step);
        }
        for (let d = 0; d < this.params.deeperSteps; d++) {
          const view = easView(state.graph);
          if (!view.blocks.length) break;
          const step = controller.sampleDeeper(view.tokens, view.blocks.map((b) => b.points.length), view.blocks.map((b) => b.dense), rng);
          // Only an action that applies and fits is kept (a resumed job replays exactly the kept ones).
          try {
            const r = applyDeeper(state, view, step.block, step.index, DEEPER_KERNELS[step.kernel]);
            if (fits(r.graph)) {
              state = { graph: r.graph, weights: r.weights };
              steps.push(step);
            }
          } catch (e) {
            if (!(e instanceof MorphError)) throw e;
          }
        }
        const fresh = !this.seen.has(graphHash(state.graph));
        if (fresh || attempt === 3) {
          this.seen.add(graphHash(state.graph));
          out.push({ id, steps });
          break;
        }
      }
    }
    return out;
  }

  observe(results: CandidateResult[]): void {
    this.best.observe(results);
    const batch: Array<{ steps: ControllerStep[]; accuracy: number }> = [];
    for (const r of results) {
      if (r.status !== 'trained') continue;
      const e = this.episodes.get(r.id);
      if (e) batch.push({ steps: e.steps, accuracy: r.accuracy });
      if (r.id === this.stage.id) this.stage.accuracy = r.accuracy;
    }
    if (batch.length && this.controller) {
      this.controller.update(batch);
      if (this.stateDir) {
        mkdirSync(this.stateDir, { recursive: true });
        writeFileSync(path.join(this.stateDir, 'eas-controller.json'), JSON.stringify({ generation: this.generation - 1, ...this.controller.toJSON() }));
      }
    }
  }

  assess() {
    return this.best.assess();
  }

  keep(): Set<string> {
    return new Set([this.stage.id, ...(this.best.id ? [this.best.id] : [])]);
  }
}
