/** Search strategies (engine/search) as people would say them. */
const WORDS: Record<string, string> = {
  hill: 'Hill climbing',
  bayes: 'Bayesian optimisation',
  random: 'Random search',
  pareto: 'Pareto evolution',
  nsga2: 'NSGA-II evolution',
  eas: 'Reinforcement-learning controller',
  tapas: 'TAPAS',
  hyperband: 'Hyperband',
  ncevolve: 'NCEvolve',
  auto: 'Automatic',
};

export function strategyWords(name: string): string {
  return WORDS[name] ?? name;
}
