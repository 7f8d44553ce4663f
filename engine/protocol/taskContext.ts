/** What a task handler of the engine process gets besides its task: a stop signal and a way to send events. */
import type { EngineTask, TaskResults } from './messages.js';

export interface TaskContext {
  /** Fires on pause or cancel (or when the app goes away); long tasks check it between batches. */
  signal: AbortSignal;
  /** Sends a job event (or a step of a long task); events that do not match the protocol are logged, not sent. */
  emit(event: unknown): void;
}

export type TaskHandler<K extends EngineTask['task']> = (task: Extract<EngineTask, { task: K }>, ctx: TaskContext) => Promise<TaskResults[K]>;
