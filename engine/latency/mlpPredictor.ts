/**
 * A small multilayer perceptron (the thesis's best predictor with 100+ samples): standardised log features →
 * two tanh layers → log latency, plus a linear path from the inputs to the output so that the network
 * extrapolates like a power law where it has seen no data. Full-batch Adam with a cosine learning rate and weight
 * decay; an ensemble of a few such networks from different seeds, averaged in log space. Plain TypeScript: it
 * needs no tensor backend and gives the same numbers everywhere.
 */
import { makeRandom, type SeededRandom } from '../train/seededRandom.js';
import type { ArchitectureDescription } from './architectureFeatures.js';
import { MIN_PREDICTION_MS, logFeatures, standardiser, type FitData, type LatencyPredictor } from './latencyPredictor.js';

export interface MlpNetwork {
  hidden: number;
  /** Row-major [hidden][inputs], [hidden], [hidden][hidden], [hidden], [hidden], [1], linear [inputs]. */
  w1: number[];
  b1: number[];
  w2: number[];
  b2: number[];
  w3: number[];
  b3: number[];
  linear: number[];
}

export interface MlpParams {
  inputMean: number[];
  inputStd: number[];
  targetMean: number;
  targetStd: number;
  networks: MlpNetwork[];
}

export interface MlpOptions {
  hidden: number;
  epochs: number;
  learningRate: number;
  weightDecay: number;
  ensemble: number;
}

const DEFAULTS: MlpOptions = { hidden: 24, epochs: 1500, learningRate: 0.01, weightDecay: 1e-4, ensemble: 3 };

interface Net {
  d: number;
  h: number;
  p: Float64Array[];
}

const W1 = 0, B1 = 1, W2 = 2, B2 = 3, W3 = 4, B3 = 5, LIN = 6;

function initNet(d: number, h: number, rng: SeededRandom): Net {
  const u = (n: number, fanIn: number, fanOut: number) => {
    const lim = Math.sqrt(6 / (fanIn + fanOut));
    return Float64Array.from({ length: n }, () => (rng.next() * 2 - 1) * lim);
  };
  return { d, h, p: [u(h * d, d, h), new Float64Array(h), u(h * h, h, h), new Float64Array(h), u(h, h, 1), new Float64Array(1), new Float64Array(d)] };
}

/** Forward pass for one row; fills the hidden activations when given. */
function forward(net: Net, x: ArrayLike<number>, a1 = new Float64Array(net.h), a2 = new Float64Array(net.h)): number {
  const { d, h, p } = net;
  for (let i = 0; i < h; i++) {
    let s = p[B1][i];
    for (let j = 0; j < d; j++) s += p[W1][i * d + j] * x[j];
    a1[i] = Math.tanh(s);
  }
  for (let i = 0; i < h; i++) {
    let s = p[B2][i];
    for (let j = 0; j < h; j++) s += p[W2][i * h + j] * a1[j];
    a2[i] = Math.tanh(s);
  }
  let y = p[B3][0];
  for (let i = 0; i < h; i++) y += p[W3][i] * a2[i];
  for (let j = 0; j < d; j++) y += p[LIN][j] * x[j];
  return y;
}

function train(net: Net, xs: number[][], ys: number[], o: MlpOptions): void {
  const { d, h, p } = net;
  const m = p.map((a) => new Float64Array(a.length));
  const v = p.map((a) => new Float64Array(a.length));
  const g = p.map((a) => new Float64Array(a.length));
  const a1 = new Float64Array(h);
  const a2 = new Float64Array(h);
  const d1 = new Float64Array(h);
  const d2 = new Float64Array(h);
  const beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  const n = xs.length;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    for (const a of g) a.fill(0);
    for (let r = 0; r < n; r++) {
      const x = xs[r];
      const err = (forward(net, x, a1, a2) - ys[r]) * (2 / n);
      g[B3][0] += err;
      for (let j = 0; j < d; j++) g[LIN][j] += err * x[j];
      for (let i = 0; i < h; i++) {
        g[W3][i] += err * a2[i];
        d2[i] = err * p[W3][i] * (1 - a2[i] * a2[i]);
      }
      d1.fill(0);
      for (let i = 0; i < h; i++) {
        const di = d2[i];
        if (di === 0) continue;
        g[B2][i] += di;
        for (let j = 0; j < h; j++) {
          g[W2][i * h + j] += di * a1[j];
          d1[j] += di * p[W2][i * h + j];
        }
      }
      for (let i = 0; i < h; i++) {
        const di = d1[i] * (1 - a1[i] * a1[i]);
        g[B1][i] += di;
        for (let j = 0; j < d; j++) g[W1][i * d + j] += di * x[j];
      }
    }
    const lr = 0.5 * o.learningRate * (1 + Math.cos((Math.PI * (epoch - 1)) / o.epochs));
    const c1 = 1 - beta1 ** epoch;
    const c2 = 1 - beta2 ** epoch;
    p.forEach((param, k) => {
      const decay = k === W1 || k === W2 || k === W3 ? o.weightDecay : 0;
      for (let i = 0; i < param.length; i++) {
        const gi = g[k][i] + decay * param[i];
        m[k][i] = beta1 * m[k][i] + (1 - beta1) * gi;
        v[k][i] = beta2 * v[k][i] + (1 - beta2) * gi * gi;
        param[i] -= (lr * (m[k][i] / c1)) / (Math.sqrt(v[k][i] / c2) + eps);
      }
    });
  }
}

export class MlpPredictor implements LatencyPredictor {
  readonly name = 'mlp' as const;
  private params: MlpParams | null = null;
  private nets: Net[] = [];
  private readonly options: MlpOptions;

  constructor(options: Partial<MlpOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  static fromParams(params: MlpParams): MlpPredictor {
    const p = new MlpPredictor();
    p.params = params;
    p.nets = params.networks.map((n) => ({
      d: params.inputMean.length,
      h: n.hidden,
      p: [n.w1, n.b1, n.w2, n.b2, n.w3, n.b3, n.linear].map((a) => Float64Array.from(a)),
    }));
    return p;
  }

  fit(data: FitData): void {
    const raw = data.observations.map((o) => logFeatures(o.description.features));
    const { mean, std } = standardiser(raw);
    const xs = raw.map((r) => r.map((x, j) => (x - mean[j]) / std[j]));
    const ly = data.observations.map((o) => Math.log(o.ms));
    const ym = ly.reduce((a, b) => a + b, 0) / ly.length;
    const ys0 = Math.sqrt(ly.reduce((a, b) => a + (b - ym) ** 2, 0) / ly.length) || 1;
    const ys = ly.map((y) => (y - ym) / ys0);
    const rng = makeRandom((data.seed ?? 0) + 7);
    this.nets = [];
    for (let k = 0; k < this.options.ensemble; k++) {
      const net = initNet(xs[0].length, this.options.hidden, rng);
      train(net, xs, ys, this.options);
      this.nets.push(net);
    }
    this.params = {
      inputMean: mean,
      inputStd: std,
      targetMean: ym,
      targetStd: ys0,
      networks: this.nets.map((n) => ({
        hidden: n.h,
        w1: [...n.p[W1]],
        b1: [...n.p[B1]],
        w2: [...n.p[W2]],
        b2: [...n.p[B2]],
        w3: [...n.p[W3]],
        b3: [...n.p[B3]],
        linear: [...n.p[LIN]],
      })),
    };
  }

  predict(d: ArchitectureDescription): number {
    if (!this.params) throw new Error('MlpPredictor.predict before fit');
    const p = this.params;
    const x = logFeatures(d.features).map((v, j) => (v - p.inputMean[j]) / p.inputStd[j]);
    const mean = this.nets.reduce((s, n) => s + forward(n, x), 0) / this.nets.length;
    return Math.max(MIN_PREDICTION_MS, Math.exp(mean * p.targetStd + p.targetMean));
  }

  toJSON(): MlpParams {
    if (!this.params) throw new Error('MlpPredictor.toJSON before fit');
    return this.params;
  }
}
