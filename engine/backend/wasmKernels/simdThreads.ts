/**
 * Runs NetSprout's SIMD kernels on several threads. With the threaded WASM build the backend's memory is a
 * SharedArrayBuffer, so Node worker threads can instantiate the same kernels over the same heap. A call's range
 * (its outermost loop) is cut into chunks that the calling thread and the workers claim one at a time from a shared
 * counter, so a worker that wakes late (both cores busy, e.g. XNNPACK's own pool still spinning after its last
 * operation) only means the caller takes more chunks.
 *
 * Control block (Int32, shared): the caller writes the kernel, its arguments and the chunking, opens the claim
 * counter with the job's tag, publishes the job's sequence number and wakes the workers (Atomics.notify). A claim is
 * a compare-and-swap on the counter that only succeeds while it carries the job's tag, so a worker that read the job
 * late can never run a chunk of another job. The caller returns when every chunk is done and closes the counter.
 * Workers sleep in Atomics.wait between jobs and are unref'd, so they never keep a process alive.
 */
import { Worker } from 'node:worker_threads';

const MAX_ARGS = 24;
const SEQ = 0; // published job number; −1 ends the workers
const KERNEL = 1;
const NARGS = 2;
const CLAIM = 3; // tag << 16 | next chunk
const DONE = 4; // chunks finished
const CHUNKS = 5;
const CHUNK_SIZE = 6;
const TOTAL = 7;
const FAILED = 8; // a worker's chunk threw (its message goes to the worker's stderr)
const ARGS = 9;
const CLOSED = 0x7fff; // a tag no job has
const MAX_CHUNKS = 0xffff;

/**
 * How [0, total) is cut into at most `chunks` ranges: `count` ranges of `size` (the last may be shorter). It depends
 * on nothing but its arguments, so a kernel that sums per chunk gives the same bits on any number of threads.
 */
export function chunkRanges(total: number, chunks: number): { size: number; count: number } {
  if (total <= 0) return { size: 0, count: 0 };
  const n = Math.max(1, Math.min(chunks, total, MAX_CHUNKS));
  const size = Math.ceil(total / n);
  return { size, count: Math.ceil(total / size) };
}

/** Claims the next chunk of the job tagged `tag`, or returns −1 when it has none left (or is no longer open). The worker's copy is in WORKER_SOURCE. */
function claim(ctl: Int32Array, tag: number, chunks: number): number {
  for (;;) {
    const v = Atomics.load(ctl, CLAIM);
    if (v >>> 16 !== tag) return -1;
    const idx = v & 0xffff;
    if (idx >= chunks) return -1;
    if (Atomics.compareExchange(ctl, CLAIM, v, v + 1) === v) return idx;
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { module, memory, control, names } = workerData;
const ctl = new Int32Array(control);
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = names.map((n) => exports[n]);
function claim(tag, chunks) {
  for (;;) {
    const v = Atomics.load(ctl, ${CLAIM});
    if (v >>> 16 !== tag) return -1;
    const idx = v & 0xffff;
    if (idx >= chunks) return -1;
    if (Atomics.compareExchange(ctl, ${CLAIM}, v, v + 1) === v) return idx;
  }
}
let seen = Atomics.load(ctl, ${SEQ});
parentPort.postMessage('ready');
for (;;) {
  Atomics.wait(ctl, ${SEQ}, seen);
  seen = Atomics.load(ctl, ${SEQ});
  if (seen < 0) break;
  const tag = seen % ${CLOSED};
  const fn = fns[Atomics.load(ctl, ${KERNEL})];
  const n = Atomics.load(ctl, ${NARGS});
  const args = [];
  for (let i = 0; i < n; i++) args.push(Atomics.load(ctl, ${ARGS} + i));
  const chunks = Atomics.load(ctl, ${CHUNKS}), size = Atomics.load(ctl, ${CHUNK_SIZE}), total = Atomics.load(ctl, ${TOTAL});
  for (let idx = claim(tag, chunks); idx >= 0; idx = claim(tag, chunks)) {
    try {
      fn(...args, idx * size, Math.min(total, (idx + 1) * size), idx);
    } catch (e) {
      Atomics.store(ctl, ${FAILED}, 1);
      console.error(e);
    }
    Atomics.add(ctl, ${DONE}, 1);
    Atomics.notify(ctl, ${DONE});
  }
}
`;

export class SimdThreadPool {
  private readonly ctl: Int32Array;
  private readonly workers: Worker[] = [];
  private seq = 0;

  private constructor(
    private readonly names: string[],
    private readonly local: Record<string, (...a: number[]) => void>,
    readonly threads: number,
    control: SharedArrayBuffer,
  ) {
    this.ctl = new Int32Array(control);
    Atomics.store(this.ctl, CLAIM, CLOSED << 16);
  }

  /** Starts `threads − 1` workers over `memory` (shared) running `module`; resolves when all are ready. */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, local: WebAssembly.Exports, threads: number): Promise<SimdThreadPool> {
    const names = WebAssembly.Module.exports(module).filter((e) => e.kind === 'function').map((e) => e.name);
    const control = new SharedArrayBuffer(4 * (ARGS + MAX_ARGS));
    const pool = new SimdThreadPool(names, local as Record<string, (...a: number[]) => void>, threads, control);
    try {
      await Promise.all(
        Array.from({ length: threads - 1 }, () => {
          const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control, names } });
          pool.workers.push(w);
          return new Promise<void>((resolve, reject) => {
            w.once('message', () => resolve());
            w.once('error', reject);
          });
        }),
      );
    } catch (e) {
      pool.close();
      throw e;
    }
    for (const w of pool.workers) w.unref();
    return pool;
  }

  /**
   * Runs kernel `name` once per chunk, with `args` followed by the chunk's range [from, to) and its index; the
   * `chunks` ranges cover [0, total) and are claimed by this thread and the workers. Returns when all are done.
   * Which thread runs a chunk varies, what each chunk computes does not (see chunkRanges).
   */
  run(name: string, args: number[], total: number, chunks: number): void {
    const fn = this.local[name];
    const { size, count } = chunkRanges(total, chunks);
    if (count <= 1 || this.workers.length === 0) {
      for (let idx = 0; idx < count; idx++) fn(...args, idx * size, Math.min(total, (idx + 1) * size), idx);
      return;
    }
    if (args.length > MAX_ARGS) throw new Error(`SimdThreadPool: ${args.length} arguments, at most ${MAX_ARGS}`);
    const ctl = this.ctl;
    const seq = ++this.seq;
    const tag = seq % CLOSED;
    Atomics.store(ctl, KERNEL, this.names.indexOf(name));
    Atomics.store(ctl, NARGS, args.length);
    for (let i = 0; i < args.length; i++) Atomics.store(ctl, ARGS + i, args[i]);
    Atomics.store(ctl, CHUNKS, count);
    Atomics.store(ctl, CHUNK_SIZE, size);
    Atomics.store(ctl, TOTAL, total);
    Atomics.store(ctl, DONE, 0);
    Atomics.store(ctl, FAILED, 0);
    Atomics.store(ctl, CLAIM, tag << 16);
    Atomics.store(ctl, SEQ, seq);
    Atomics.notify(ctl, SEQ);
    let ran = 0;
    let claimed = count;
    let error: unknown = null;
    try {
      for (let idx = claim(ctl, tag, count); idx >= 0; idx = claim(ctl, tag, count)) {
        ran++;
        fn(...args, idx * size, Math.min(total, (idx + 1) * size), idx);
      }
    } catch (e) {
      // No more claims; wait only for the chunks the workers already took.
      error = e;
      const v = Atomics.exchange(ctl, CLAIM, CLOSED << 16);
      claimed = v >>> 16 === tag ? Math.min(v & 0xffff, count) : count;
    }
    Atomics.add(ctl, DONE, ran);
    for (let spins = 0; ; spins++) {
      const done = Atomics.load(ctl, DONE);
      if (done >= claimed) break;
      if (spins > 1000) Atomics.wait(ctl, DONE, done, 1);
    }
    Atomics.store(ctl, CLAIM, CLOSED << 16);
    if (error) throw error;
    if (Atomics.load(ctl, FAILED)) throw new Error(`The SIMD kernel ${name} failed on a worker thread (its error is printed above).`);
  }

  /** Ends the workers. */
  close(): void {
    Atomics.store(this.ctl, SEQ, -1);
    Atomics.notify(this.ctl, SEQ);
    for (const w of this.workers) void w.terminate();
    this.workers.length = 0;
  }
}
