/** `netsprout latency`: the latency a device profile predicts for an architecture, and with --measure the measured one. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { NetSproutError } from '../errors.js';
import { graphMetrics } from '../graph/metrics.js';
import { graphFromJSON } from '../graph/serialize.js';
import { measureLatency, openRuntime } from '../hardware/latencyProtocol.js';
import { median } from '../hardware/latencyStatistics.js';
import { machineProfile } from '../hardware/machineProfile.js';
import { SpeedReference, speedFactor } from '../hardware/speedReference.js';
import { readProfile } from '../latency/deviceProfile.js';
import { printJson } from './output.js';

/** Reference readings taken before and again after the measurement (about 50 ms each). */
const SPEED_READINGS_EACH_SIDE = 5;

export interface LatencyCommandOptions {
  profile: string;
  arch: string;
  measure?: boolean;
  json?: boolean;
}

const round = (x: number, d = 4) => Number(x.toFixed(d));

export async function latencyCommand(opts: LatencyCommandOptions): Promise<number> {
  const loaded = await readProfile(opts.profile);
  if (!existsSync(opts.arch)) {
    throw new NetSproutError('ARCH_MISSING', `The architecture file ${opts.arch} does not exist.`, 'Give the path of a graph.json file (a job folder has one per candidate).', [opts.arch]);
  }
  const graph = graphFromJSON(await readFile(opts.arch, 'utf8'), opts.arch);
  const p = loaded.profile;
  const predictedMs = loaded.predictMs(graph);
  const chosen = p.predictors.find((x) => x.name === p.chosen)!;
  const result: Record<string, unknown> = {
    arch: opts.arch,
    profile: opts.profile,
    runtime: `${p.runtime.library} ${p.runtime.version} (${p.runtime.backend}, ${p.runtime.threads} thread${p.runtime.threads === 1 ? '' : 's'})`,
    predictor: p.chosen,
    predictedMs: round(predictedMs),
    params: graphMetrics(graph).params,
    heldOut: { kendallTau: chosen.heldOut.kendallTau, mape: chosen.heldOut.mape, within10: chosen.heldOut.within10 },
  };
  const notes: string[] = [];
  if (opts.measure) {
    const here = await machineProfile({ backends: false, onnx: false });
    const there = p.machine;
    if (here.cpu.brand !== there.cpu.brand || here.cpu.cores !== there.cpu.cores || here.os.arch !== there.os.arch) {
      notes.push(`The profile was made on another machine (${there.cpu.manufacturer} ${there.cpu.brand}, ${there.cpu.cores} cores); the measurement is of this one.`);
    }
    const runtime = await openRuntime(p.runtime.name, { threads: p.runtime.threads, backend: p.runtime.name === 'tfjs' ? p.runtime.backend : undefined });
    // A profile whose latencies are at the machine's typical speed (engine/hardware/speedReference.ts): the
    // reference network is measured around this measurement too, and the prediction is compared at that speed.
    const speed = p.speedReference ? new SpeedReference(runtime, graphFromJSON(p.speedReference.graph, `the speed reference of ${opts.profile}`), p.speedReference.protocol) : null;
    // A few readings either side: one short reading is noisier than the drift it is there to follow.
    for (let k = 0; speed && k < SPEED_READINGS_EACH_SIDE; k++) await speed.read();
    const m = await measureLatency(runtime, { graph }, p.protocol);
    const b1 = m.batches.find((b) => b.batchSize === 1) ?? m.batches[0];
    result.measuredMs = round(m.batch1Ms);
    result.statistic = b1.statistic;
    let comparedMs = m.batch1Ms;
    if (speed) {
      for (let k = 0; k < SPEED_READINGS_EACH_SIDE; k++) await speed.read();
      const factor = speedFactor(median(speed.readings), p.speedReference!.typicalMs);
      comparedMs = m.batch1Ms / factor;
      result.speedFactor = round(factor, 3);
      result.measuredAtProfileSpeedMs = round(comparedMs);
      result.errorPercentRaw = round(((predictedMs - m.batch1Ms) / m.batch1Ms) * 100, 2);
    }
    result.errorPercent = round(((predictedMs - comparedMs) / comparedMs) * 100, 2);
    result.measurement = { medianMs: round(b1.medianMs), p10Ms: round(b1.p10Ms), p90Ms: round(b1.p90Ms), iqrMs: round(b1.iqrMs), runs: b1.runs, batches: m.batches.map((b) => ({ batchSize: b.batchSize, medianMs: round(b.medianMs), perInputMs: round(b.perInputMs), peakRssDeltaBytes: b.peakRssDeltaBytes })) };
  }
  if (notes.length) result.notes = notes;
  if (opts.json) {
    printJson(result);
    return 0;
  }
  process.stdout.write(`Predicted: ${predictedMs.toFixed(3)} ms per input at batch 1 on ${result.runtime} (${p.chosen}; on held-out architectures ${(chosen.heldOut.within10 * 100).toFixed(0)}% within ±10%, Kendall τ ${chosen.heldOut.kendallTau.toFixed(2)}).\n`);
  if (opts.measure) {
    const f = result.speedFactor as number | undefined;
    const speedNote =
      f === undefined
        ? ''
        : `; ${(result.measuredAtProfileSpeedMs as number).toFixed(3)} ms at the speed this machine had when profiled (it runs ${Math.abs((f - 1) * 100).toFixed(0)}% ${f >= 1 ? 'slower' : 'faster'} now, by the reference network)`;
    const what = result.statistic === 'p10' ? '10th percentile of the runs' : 'median';
    process.stdout.write(`Measured:  ${(result.measuredMs as number).toFixed(3)} ms (${what}${speedNote}; prediction off by ${(result.errorPercent as number).toFixed(1)}%).\n`);
  }
  for (const n of notes) process.stdout.write(`Note: ${n}\n`);
  return 0;
}
