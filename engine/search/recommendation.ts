/**
 * Which model of the front a job trains to the end: the one-standard-error rule (Breiman et al., CART, 1984). The most
 * accurate member's validation accuracy is an estimate with a standard error of √(a(1−a)/n) on n validation samples;
 * members within one standard error of it are as accurate as the data can tell, and of those the one whose epoch
 * trains fastest is recommended. Within a fixed budget it gets more epochs of final training than a dearer twin (a
 * 15-minute hill-climbing search on Fashion-MNIST recommended a network of 116 s an epoch, 89.53% on validation, for
 * 280 s of final training, beside one of 70 s an epoch at 89.48%), and it is the smaller, faster model to deploy.
 */

export interface RecommendationCandidate {
  id: string;
  accuracy: number;
}

export interface Recommendation {
  id: string;
  /** The most accurate member, when another was recommended in its place. */
  instead: { id: string; accuracy: number; epochSeconds: number } | null;
  /** One standard error of the most accurate member's validation accuracy. */
  standardError: number;
}

export function recommendFromFront(members: RecommendationCandidate[], o: { validationCount: number; epochSeconds: (id: string) => number }): Recommendation {
  if (!members.length) throw new Error('recommendFromFront: no member');
  const best = members.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  const standardError = Math.sqrt((best.accuracy * (1 - best.accuracy)) / Math.max(1, o.validationCount));
  const twins = members.filter((m) => m.accuracy >= best.accuracy - standardError);
  const cheapest = twins.reduce((a, b) => (o.epochSeconds(b.id) < o.epochSeconds(a.id) ? b : a), best);
  return { id: cheapest.id, instead: cheapest.id === best.id ? null : { id: best.id, accuracy: best.accuracy, epochSeconds: o.epochSeconds(best.id) }, standardError };
}
