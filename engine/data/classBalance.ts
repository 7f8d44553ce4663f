/** Checks on the labels of any dataset: enough classes, enough examples per class, and balance. */
import type { FindingList } from './findings.js';

export interface ClassBalance {
  classes: string[];
  counts: number[];
  /** max count / min count. */
  imbalance: number;
  /** Offered when the classes are poorly balanced: n / (k · n_c), as scikit-learn's "balanced". */
  classWeights?: number[];
}

/** Fewer examples than this in a class is an error: it cannot appear in both the training and validation splits. */
export const MIN_EXAMPLES_PER_CLASS = 2;
/** Fewer than this is a warning: the class will be learnt poorly. */
export const FEW_EXAMPLES_PER_CLASS = 10;
/** Above this ratio between the largest and the smallest class, class weights are offered. */
export const IMBALANCE_RATIO = 3;

export function checkClasses(labels: string[], findings: FindingList, where: string, labelWord = 'class'): ClassBalance {
  const countBy = new Map<string, number>();
  for (const l of labels) countBy.set(l, (countBy.get(l) ?? 0) + 1);
  const classes = [...countBy.keys()].sort();
  const counts = classes.map((c) => countBy.get(c)!);
  if (labels.length === 0) {
    findings.error('EMPTY_FOLDER', `${where} holds no usable examples.`, 'Add examples, or fix the problems listed with the files.', []);
    return { classes, counts, imbalance: 1 };
  }
  if (classes.length === 1) {
    findings.error(
      'ONE_CLASS',
      `${where} has only one ${labelWord} ("${classes[0]}"); a classifier needs at least two.`,
      labelWord === 'class' ? 'Add a folder of examples of another class.' : 'Choose a target column with at least two values.',
      [],
    );
  }
  classes.forEach((c, i) => {
    if (counts[i] < MIN_EXAMPLES_PER_CLASS) {
      findings.error('FEW_EXAMPLES', `The ${labelWord} "${c}" has only ${counts[i]} example; at least ${MIN_EXAMPLES_PER_CLASS} are needed.`, `Add examples of "${c}" or remove it.`, []);
    } else if (counts[i] < FEW_EXAMPLES_PER_CLASS) {
      findings.warning('FEW_EXAMPLES', `The ${labelWord} "${c}" has only ${counts[i]} examples; it will be learnt poorly.`, `Add examples of "${c}" (a few dozen at least).`, []);
    }
  });
  const imbalance = Math.max(...counts) / Math.max(1, Math.min(...counts));
  const balance: ClassBalance = { classes, counts, imbalance };
  if (classes.length > 1 && imbalance > IMBALANCE_RATIO) {
    const n = labels.length;
    balance.classWeights = counts.map((c) => n / (classes.length * c));
    const big = classes[counts.indexOf(Math.max(...counts))];
    const small = classes[counts.indexOf(Math.min(...counts))];
    findings.warning(
      'IMBALANCED_CLASSES',
      `The classes are unbalanced: "${big}" has ${Math.max(...counts)} examples, "${small}" only ${Math.min(...counts)} (${imbalance.toFixed(1)}×).`,
      'NetSprout offers class weights that count rare classes more in training; adding examples of rare classes helps most.',
      [],
    );
  }
  return balance;
}
