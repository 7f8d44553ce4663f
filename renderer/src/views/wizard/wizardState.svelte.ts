/** What the wizard has gathered so far, shared by its steps. */
import type { BudgetEstimate, DataReport, TargetDevice, TargetChoice } from '../../../../main/common/appApi';

export type StepName = 'data' | 'budget' | 'target' | 'review';
export const STEPS: Array<{ name: StepName; title: string }> = [
  { name: 'data', title: 'Data' },
  { name: 'budget', title: 'Budget' },
  { name: 'target', title: 'Target' },
  { name: 'review', title: 'Review' },
];

export type PresetName = 'try' | 'low' | 'medium' | 'high';
export type DataKindChoice = '' | 'images' | 'idx' | 'table' | 'text';

export class WizardState {
  step = $state<StepName>('data');
  /** Set once the project exists (given, or created when leaving the Data step). */
  projectId = $state<string | null>(null);
  /** True when the project existed before the wizard opened: its data cannot change here. */
  existingProject = $state(false);
  dataPath = $state('');
  name = $state('');
  kind = $state<DataKindChoice>('');
  targetColumn = $state('');
  report = $state<DataReport | null>(null);

  estimate = $state<BudgetEstimate | null>(null);
  budget = $state<PresetName | 'custom'>('try');
  customMinutes = $state(30);

  targets = $state<TargetDevice[] | null>(null);
  target = $state('cpu');
  limitLatency = $state(false);
  maxLatencyMs = $state(30);
  limitSize = $state(false);
  maxSizeMb = $state(5);

  strategy = $state('');

  /** A preset's length: as the services measured it, or the engine's defaults before that. */
  presetSeconds(name: PresetName): number {
    return this.estimate?.presets.find((p) => p.name === name)?.seconds ?? { try: 600, low: 7200, medium: 18000, high: 57600 }[name];
  }

  budgetSeconds(): number {
    if (this.budget === 'custom') return Math.round(Math.max(1, this.customMinutes || 0) * 60);
    return this.presetSeconds(this.budget);
  }

  /** Roughly how many candidates a budget buys, from the measured presets (proportional to time). */
  candidatesFor(seconds: number): number | null {
    const presets = this.estimate?.presets ?? [];
    if (!presets.length) return null;
    const nearest = [...presets].sort((a, b) => Math.abs(Math.log(a.seconds / seconds)) - Math.abs(Math.log(b.seconds / seconds)))[0];
    return Math.max(1, Math.round((nearest.candidates * seconds) / nearest.seconds));
  }

  targetChoice(): TargetChoice {
    return {
      target: this.target,
      ...(this.limitLatency && this.maxLatencyMs > 0 ? { maxLatencyMs: this.maxLatencyMs } : {}),
      ...(this.limitSize && this.maxSizeMb > 0 ? { maxSizeMb: this.maxSizeMb } : {}),
    };
  }
}
