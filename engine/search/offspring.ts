/**
 * Children for the evolutionary strategies (LEMONADE, NSGA-II): a parent changed by one or a few operators, each
 * either a growing network morphism (deeper, wider, skip, kernel, branch: the function is kept) or a shrinking
 * operator (remove a layer or an input, narrow, separable convolution: approximate, the child is fine-tuned by its
 * training from the weights carried over). A child must keep the job's limits; one that cannot is not made.
 * Only the graph (never the weights) decides which operators apply, so a child is the same graph whether its parent's
 * weights are the trained ones or stand-ins of the right shapes (what a resumed job replays with).
 */
import { randomMorph, randomShrink } from '../morph/morphCatalogue.js';
import { MorphError, checkState, type ModelState, type MorphRecord } from '../morph/modelState.js';
import type { StrategyContext } from './strategy.js';

export interface OffspringOptions {
  /** The chance that an operator is a shrinking one. */
  shrinkShare: number;
  /** At most this many operators per child (1 to maxOps, uniformly). */
  maxOps: number;
}

/** Tries each operator slot a few times (a growing morphism may break a limit where another would not). */
const ATTEMPTS = 4;

export function makeChild(parent: ModelState, ctx: StrategyContext, opts: OffspringOptions): { state: ModelState; morphs: MorphRecord[] } | null {
  const count = 1 + ctx.rng.int(Math.max(1, opts.maxOps));
  let state = parent;
  const morphs: MorphRecord[] = [];
  for (let k = 0; k < count; k++) {
    let next: ModelState & { record: MorphRecord } | null = null;
    for (let a = 0; a < ATTEMPTS && !next; a++) {
      const shrink = ctx.rng.next() < opts.shrinkShare;
      for (const kind of shrink ? ['shrink', 'grow'] : ['grow', 'shrink']) {
        try {
          const child = kind === 'shrink' ? randomShrink(state, ctx.rng) : randomMorph(state, ctx.rng);
          // A child whose weights do not fit its graph would stop the job (and its resumption) at training: such an
          // operator is treated as not applying (tests/morph/shrink.test.ts runs long chains to keep this empty).
          checkState(child);
          if (ctx.fits(child.graph)) {
            next = child;
            break;
          }
        } catch (e) {
          if (!(e instanceof MorphError) && !/^morph produced/.test((e as Error).message)) throw e;
        }
      }
    }
    if (!next) break;
    state = next;
    morphs.push(next.record);
  }
  return morphs.length ? { state, morphs } : null;
}
