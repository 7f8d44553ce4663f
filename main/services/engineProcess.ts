/**
 * Starting the engine: one child process per task (engine/protocol/worker.ts through bin/netsprout-engine.mjs),
 * forked with Node's child_process. Under Electron the same fork runs Electron's binary as plain Node
 * (ELECTRON_RUN_AS_NODE=1), so one code path serves the desktop app, `netsprout serve` and the tests.
 *
 * Every message from the engine is checked with the protocol's schemas; the engine's stdout and stderr (stack
 * traces, warnings) go to a log file, never to the user. The run settles once the process has gone: with its
 * result, with its error, or, when it died without answering (killed, crashed), with ENGINE_DIED.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { NetSproutError } from '../../engine/errors.js';
import { describeIssues } from '../../engine/protocol/errorInfo.js';
import { EngineMessage, EngineTask, type EngineErrorInfo, type JobEventMessage, type TaskResults } from '../../engine/protocol/messages.js';

export interface EngineLauncher {
  /** bin/netsprout-engine.mjs */
  entry: string;
  /** The Node binary (Electron's own binary in the desktop app). */
  execPath?: string;
  /** Run Electron's binary as Node. */
  runAsNode?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** A task that ended without a result: its error, and whether it stopped because it was asked to. */
export class EngineFailure extends NetSproutError {
  constructor(
    info: EngineErrorInfo,
    readonly stopped?: 'paused' | 'cancelled',
    /** The process ended without answering (killed, crashed). */
    readonly died = false,
  ) {
    super(info.code, info.message, info.hint, info.files);
    this.name = 'EngineFailure';
  }
}

type TaskName = EngineTask['task'];

export class EngineRun<K extends TaskName = TaskName> {
  readonly child: ChildProcess;
  readonly done: Promise<TaskResults[K]>;
  private readonly listeners = new Set<(e: JobEventMessage) => void>();
  private answer: EngineMessage | null = null;
  private readonly logStart: number;

  constructor(launcher: EngineLauncher, task: Extract<EngineTask, { task: K }>, readonly logFile: string) {
    const checked = EngineTask.parse(task);
    mkdirSync(path.dirname(logFile), { recursive: true });
    const log = openSync(logFile, 'a');
    this.logStart = statSync(logFile).size;
    const env: NodeJS.ProcessEnv = { ...process.env, ...launcher.env };
    if (launcher.runAsNode) env.ELECTRON_RUN_AS_NODE = '1';
    else delete env.ELECTRON_RUN_AS_NODE;
    try {
      this.child = fork(launcher.entry, [], { execPath: launcher.execPath ?? process.execPath, env, stdio: ['ignore', log, log, 'ipc'], serialization: 'json' });
    } finally {
      closeSync(log);
    }
    this.done = new Promise<TaskResults[K]>((resolve, reject) => {
      this.child.on('message', (raw) => {
        const parsed = EngineMessage.safeParse(raw);
        if (!parsed.success) {
          this.note(`a message from the engine did not match the protocol (${describeIssues(parsed.error, 'the message')})`);
          return;
        }
        const m = parsed.data;
        if (m.kind === 'event') for (const l of this.listeners) l(m.event);
        else if (m.kind === 'result' || m.kind === 'error') this.answer = m;
      });
      this.child.on('error', (e) => {
        this.note(`the engine process: ${e.message}`);
        // It never started (no binary, no entry): nothing else will settle the run.
        if (this.child.pid === undefined) {
          reject(new EngineFailure({ code: 'ENGINE_START', message: `The engine could not be started: ${e.message}.`, hint: `Check that ${launcher.entry} and Node (${launcher.execPath ?? process.execPath}) are there; reinstalling NetSprout restores them.`, files: [launcher.entry] }, undefined, true));
        }
      });
      this.child.on('close', (code, signal) => {
        const a = this.answer;
        if (a?.kind === 'result') resolve(a.result as TaskResults[K]);
        else if (a?.kind === 'error') reject(new EngineFailure(a.error, a.stopped));
        else {
          const how = signal ? `it was stopped by ${signal}` : `it exited with code ${code}${this.logTail()}`;
          reject(
            new EngineFailure(
              { code: 'ENGINE_DIED', message: `The engine stopped without finishing its ${checked.task} task: ${how}.`, hint: `Try again; if it keeps happening, the engine log has the details: ${logFile}.`, files: [logFile] },
              undefined,
              true,
            ),
          );
        }
      });
    });
    // Nobody has to watch a failure for it to be handled (the supervisor and the services await `done`).
    this.done.catch(() => undefined);
    this.child.send(checked);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  onEvent(listener: (e: JobEventMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Asks a job to pause or cancel at the next batch. */
  control(control: 'pause' | 'cancel'): void {
    if (this.child.connected) this.child.send({ control });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private note(message: string): void {
    process.stderr.write(`netsprout: ${message}\n`);
  }

  /** The last line this run wrote to the engine log, when it wrote any (for a crash's message). */
  private logTail(): string {
    try {
      const text = readFileSync(this.logFile).subarray(this.logStart).toString('utf8').slice(-4000);
      const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^(at |Node\.js v|[{}^]|code: |requireStack)/.test(l));
      const last = lines.filter((l) => /error/i.test(l)).at(-1) ?? lines.at(-1);
      return last ? `; its log ends with "${last.trim().slice(0, 300)}"` : '';
    } catch {
      return '';
    }
  }
}

/** Runs one task to its end. */
export function runEngineTask<K extends TaskName>(launcher: EngineLauncher, task: Extract<EngineTask, { task: K }>, logFile: string, onEvent?: (e: JobEventMessage) => void): Promise<TaskResults[K]> {
  const run = new EngineRun(launcher, task, logFile);
  if (onEvent) run.onEvent(onEvent);
  return run.done;
}
