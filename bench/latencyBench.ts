/**
 * npm run bench:latency [-- --seconds 540] [-- --samples 1000] [-- --runtime onnx|tfjs] [-- --raw] [-- --json]
 * Profiles this machine as `netsprout profile` does (architectures drawn from the search space, measured with the
 * protocol of engine/hardware/latencyProtocol.ts, predictors fitted), within 10 minutes, and reports for each
 * predictor on the held-out architectures Kendall τ, MAPE and the share within ±10%, against the targets of the
 * issue: ≥ 90% within ±10% and τ ≥ 0.9 on this machine's CPU. The profile is written to the system's temp folder.
 * The latencies are brought to the machine's typical speed with a reference network measured around every
 * architecture (engine/hardware/speedReference.ts); the same predictors are also scored against the raw
 * measurements. --raw profiles without the reference, as earlier versions did.
 */
import os from 'node:os';
import path from 'node:path';
import { parseRuntimeName } from '../engine/hardware/latencyProtocol.js';
import { describeMachine } from '../engine/hardware/machineProfile.js';
import { predictorAccuracy } from '../engine/latency/accuracyMetrics.js';
import { describeArchitecture } from '../engine/latency/architectureFeatures.js';
import { buildProfile, writeProfile } from '../engine/latency/deviceProfile.js';
import { loadPredictor } from '../engine/latency/predictorRegistry.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const json = process.argv.includes('--json');
const log = (s: string) => !json && process.stdout.write(`${s}\n`);
const seconds = Number(arg('seconds', '540'));
const samples = Number(arg('samples', '1000'));
// --raw: no reference network (engine/hardware/speedReference.ts); the predictors learn the raw measurements.
const raw = process.argv.includes('--raw');
const runtime = parseRuntimeName(arg('runtime', 'onnx'));
const out = path.join(os.tmpdir(), `netsprout-bench-latency-${runtime}.json`);

const profile = await buildProfile({
  runtime,
  samples,
  seconds,
  speedReference: !raw,
  onProgress: (p) => {
    if (p.type === 'machine') log(`Machine: ${describeMachine(p.machine)}`);
    else if (p.type === 'sample' && (p.index + 1) % 50 === 0) log(`  measured ${p.index + 1} architectures (${p.elapsedSeconds.toFixed(0)} s)`);
    else if (p.type === 'layers') log(`  measured ${p.measured} layers on their own for the lookup table (${p.elapsedSeconds.toFixed(0)} s)`);
  },
});
await writeProfile(out, profile);

const held = profile.samples.filter((s) => s.split === 'heldOut');
const ms = profile.samples.map((s) => s.ms).sort((a, b) => a - b);
const spread = profile.samples.map((s) => {
  const b = s.measurement.batches[0];
  return (b.p90Ms - b.p10Ms) / b.medianMs;
});
spread.sort((a, b) => a - b);
log(`Runtime: ${profile.runtime.library} ${profile.runtime.version} (${profile.runtime.backend}, ${profile.runtime.threads} thread(s)); protocol: warm-up ≥ ${profile.protocol.warmupRuns} runs / ${profile.protocol.warmupMs} ms, timed ≥ ${profile.protocol.minRuns} runs / ${profile.protocol.minTimedMs} ms, batch sizes ${profile.protocol.batchSizes.join(', ')}`);
const remeasured = profile.samples.filter((s) => s.remeasured).length;
log(`Measured ${profile.samples.length} architectures in ${profile.seconds.toFixed(0)} s (${profile.samples.length - held.length} to fit, ${held.length} held out; ${remeasured} measured again after the reference showed the machine disturbed); ${profile.protocol.statistic ?? 'median'} latency at batch 1 from ${ms[0].toFixed(3)} to ${ms[ms.length - 1].toFixed(3)} ms (median ${ms[Math.floor(ms.length / 2)].toFixed(3)}); median (p90 − p10)/median of a measurement ${(spread[Math.floor(spread.length / 2)] * 100).toFixed(1)}%`);
log('');
log('predictor        Kendall τ    MAPE   within ±10%   fit s');
for (const p of profile.predictors) {
  const a = p.heldOut;
  log(`${(p.name === profile.chosen ? '→ ' : '  ') + p.name.padEnd(14)} ${a.kendallTau.toFixed(3).padStart(9)}  ${(a.mape * 100).toFixed(1).padStart(5)}%  ${(a.within10 * 100).toFixed(1).padStart(10)}%  ${p.fitSeconds.toFixed(2).padStart(6)}`);
}
// Against the raw measurements (before the speed correction), the same fitted predictors.
const ref = profile.speedReference;
const rawAccuracy = new Map<string, ReturnType<typeof predictorAccuracy>>();
if (ref) {
  const descriptions = held.map((s) => describeArchitecture(s.graph, profile.features));
  for (const p of profile.predictors) {
    const predictor = loadPredictor(p.name, p.params);
    rawAccuracy.set(p.name, predictorAccuracy(held.map((s) => s.measuredMs ?? s.ms), descriptions.map((d) => predictor.predict(d))));
  }
  log('');
  log(`Speed reference: ${ref.readings} measurements of a ${ref.graph.layers.length}-layer network, typical ${ref.typicalMs.toFixed(3)} ms; the machine's speed factor while measuring ran from ${ref.factorP10.toFixed(2)} (p10) to ${ref.factorP90.toFixed(2)} (p90).`);
  log('Against the raw measurements (before the speed correction):');
  for (const p of profile.predictors) {
    const a = rawAccuracy.get(p.name)!;
    log(`  ${p.name.padEnd(14)} ${a.kendallTau.toFixed(3).padStart(9)}  ${(a.mape * 100).toFixed(1).padStart(5)}%  ${(a.within10 * 100).toFixed(1).padStart(10)}%`);
  }
}
const chosen = profile.predictors.find((p) => p.name === profile.chosen)!;
const met = chosen.heldOut.within10 >= 0.9 && chosen.heldOut.kendallTau >= 0.9 && profile.seconds <= 600;
log('');
log(`Chosen: ${profile.chosen}. Targets (≥ 90% within ±10%, τ ≥ 0.9, ≤ 600 s): ${met ? 'met' : 'NOT met'}. Profile: ${out}`);
if (json) {
  process.stdout.write(
    `${JSON.stringify({
      profile: out,
      samples: profile.samples.length,
      heldOut: held.length,
      seconds: Number(profile.seconds.toFixed(1)),
      remeasured,
      chosen: profile.chosen,
      targetsMet: met,
      predictors: profile.predictors.map((p) => ({ name: p.name, kendallTau: p.heldOut.kendallTau, mape: p.heldOut.mape, within10: p.heldOut.within10, fitSeconds: p.fitSeconds, ...(rawAccuracy.has(p.name) && { againstRaw: rawAccuracy.get(p.name) }) })),
      ...(ref && { speedFactorP10: ref.factorP10, speedFactorP90: ref.factorP90 }),
    })}\n`,
  );
}
