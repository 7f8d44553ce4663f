/** Search strategies (engine/search) as people would say them: the engine's own titles (AppInfo.strategies). */
import { app } from './app.svelte';

export function strategyWords(name: string): string {
  return app.info?.strategies.find((s) => s.id === name)?.title ?? name;
}
