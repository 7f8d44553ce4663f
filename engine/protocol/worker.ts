/**
 * The engine process: started by the app (engine/protocol/messages.ts says how), it reads one task, answers it
 * with events and exactly one `result` or `error`, and exits. Every message in and out is checked with the
 * protocol's schemas. A pause or cancel stops a job between batches; so does the app going away (the IPC channel
 * closing, e.g. the app was killed), so that no engine keeps writing a job the app no longer watches.
 *
 * Exit codes: 0 answered (or stopped on request), 1 the task failed, 2 the task could not be read, 3 the app went
 * away.
 */
import { NetSproutError } from '../errors.js';
import { describeIssues, errorInfo } from './errorInfo.js';
import { EngineControl, EngineMessage, EngineTask, JobEventMessage, PROTOCOL_VERSION } from './messages.js';
import type { TaskContext, TaskHandler } from './taskContext.js';

const HANDLERS: { [K in EngineTask['task']]: () => Promise<TaskHandler<K>> } = {
  runJob: async () => (await import('./runJobTask.js')).runJobTask,
  inspect: async () => (await import('./inspectTask.js')).inspectTask,
  throughput: async () => (await import('./throughputTask.js')).throughputTask,
  evaluate: async () => (await import('./evaluateTask.js')).evaluateTask,
  predict: async () => (await import('./predictTask.js')).predictTask,
  export: async () => (await import('./exportTask.js')).exportTask,
  profile: async () => (await import('./profileTask.js')).profileTask,
  backends: async () => (await import('./backendsTask.js')).backendsTask,
};

/** How long the engine may take to stop once the app has gone away, before it exits anyway (the journal is safe). */
const ORPHAN_GRACE_MS = 30_000;

function send(message: EngineMessage): Promise<void> {
  const checked = EngineMessage.parse(message);
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(checked, (err: Error | null) => {
      if (err) process.stderr.write(`netsprout engine: could not send a ${checked.kind} message: ${err.message}\n`);
      resolve();
    });
  });
}

async function finish(code: number): Promise<never> {
  if (process.connected) process.disconnect();
  process.exit(code);
}

async function runTask(raw: unknown, ctx: TaskContext & { stopReason(): 'paused' | 'cancelled' | null }): Promise<never> {
  const parsed = EngineTask.safeParse(raw);
  if (!parsed.success) {
    await send({
      kind: 'error',
      error: {
        code: 'ENGINE_BAD_TASK',
        message: `The engine was given a task it cannot read: ${describeIssues(parsed.error)}.`,
        hint: `A task is one of ${Object.keys(HANDLERS).join(', ')}, with its fields (engine/protocol/messages.ts).`,
        files: [],
      },
    });
    return finish(2);
  }
  const task = parsed.data;
  await send({ kind: 'ready', protocol: PROTOCOL_VERSION, pid: process.pid });
  try {
    const handler = (await HANDLERS[task.task]()) as TaskHandler<typeof task.task>;
    const result = await handler(task as never, ctx);
    await send({ kind: 'result', result });
    return finish(0);
  } catch (e) {
    const stopped = ctx.stopReason();
    if (!(e instanceof NetSproutError)) process.stderr.write(`${(e as Error)?.stack ?? String(e)}\n`);
    await send({ kind: 'error', error: errorInfo(e), ...(stopped ? { stopped } : {}) });
    return finish(stopped ? 0 : 1);
  }
}

function main(): void {
  if (!process.send) {
    process.stderr.write('The NetSprout engine worker is started by the app (child_process.fork with an IPC channel); use `netsprout` on the command line.\n');
    process.exit(2);
  }
  const controller = new AbortController();
  let stop: 'paused' | 'cancelled' | null = null;
  let started = false;
  const ctx = {
    signal: controller.signal,
    stopReason: () => stop,
    emit(event: unknown) {
      const checked = JobEventMessage.safeParse(event);
      if (!checked.success) {
        process.stderr.write(`netsprout engine: an event did not match the protocol and was not sent (${describeIssues(checked.error)}): ${JSON.stringify(event).slice(0, 300)}\n`);
        return;
      }
      void send({ kind: 'event', event: checked.data });
    },
  };
  process.on('message', (raw: unknown) => {
    if (!started) {
      started = true;
      void runTask(raw, ctx);
      return;
    }
    const control = EngineControl.safeParse(raw);
    if (!control.success) {
      process.stderr.write(`netsprout engine: ignored a message that is not a control (${describeIssues(control.error)}).\n`);
      return;
    }
    stop ??= control.data.control === 'pause' ? 'paused' : 'cancelled';
    controller.abort();
  });
  process.on('disconnect', () => {
    stop ??= 'paused';
    controller.abort();
    setTimeout(() => process.exit(3), ORPHAN_GRACE_MS).unref();
    // Nothing is waiting for a task that never came.
    if (!started) process.exit(3);
  });
}

main();
