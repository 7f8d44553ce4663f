/**
 * Stratified train / validation / test splits from a seed: each class is shuffled and cut in the same proportions,
 * with at least one example per class in validation when the class has two or more. The test split is fixed once
 * and never used for any choice the engine makes.
 */
import { makeRandom } from '../train/seededRandom.js';

export interface SplitFractions {
  validation: number;
  test: number;
}

export interface Splits {
  train: number[];
  validation: number[];
  test: number[];
}

export const DEFAULT_FRACTIONS: SplitFractions = { validation: 0.1, test: 0.1 };

/**
 * `labels[i]` is the class of example i; `fixed[i]`, when given, forces example i into 'train' or 'test' (from
 * train/ and test/ folders); fixed training examples are still divided into train and validation.
 */
export function stratifiedSplits(labels: ArrayLike<number>, seed: number, fractions: SplitFractions = DEFAULT_FRACTIONS, fixed?: Array<'train' | 'test' | undefined>): Splits {
  const rng = makeRandom(seed ^ 0x5eed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) byClass.set(labels[i], [...(byClass.get(labels[i]) ?? []), i]);
  const out: Splits = { train: [], validation: [], test: [] };
  const hasFixedTest = fixed?.some((f) => f === 'test') ?? false;
  for (const [, members] of [...byClass].sort((a, b) => a[0] - b[0])) {
    const pool = members.filter((i) => fixed?.[i] !== 'test');
    out.test.push(...members.filter((i) => fixed?.[i] === 'test'));
    rng.shuffle(pool);
    const n = pool.length;
    const testShare = hasFixedTest ? 0 : fractions.test;
    let nTest = Math.round(n * testShare);
    let nVal = Math.round(n * fractions.validation);
    if (n >= 2 && nVal === 0 && fractions.validation > 0) nVal = 1;
    if (n >= 3 && nTest === 0 && testShare > 0) nTest = 1;
    while (nTest + nVal >= n && (nTest > 0 || nVal > 0)) {
      if (nTest >= nVal && nTest > 0) nTest--;
      else nVal--;
    }
    out.test.push(...pool.slice(0, nTest));
    out.validation.push(...pool.slice(nTest, nTest + nVal));
    out.train.push(...pool.slice(nTest + nVal));
  }
  for (const k of ['train', 'validation', 'test'] as const) out[k].sort((a, b) => a - b);
  return out;
}
