import type { WeightSpec } from '../graph/weightSpecs.js';
import { sizeOf } from '../graph/weightSpecs.js';
import type { SeededRandom } from './seededRandom.js';

/**
 * Keras's default initial values: kernels glorot-uniform, biases and beta zero, gamma and moving variance one,
 * moving mean zero, embeddings uniform in [−0.05, 0.05].
 */
export function initialValue(spec: WeightSpec, rng: SeededRandom): Float32Array {
  const n = sizeOf(spec.shape);
  const out = new Float32Array(n);
  switch (spec.name) {
    case 'kernel':
    case 'depthwise_kernel':
    case 'pointwise_kernel': {
      const s = spec.shape;
      const receptive = s.length > 2 ? sizeOf(s.slice(0, -2)) : 1;
      const fanIn = receptive * s[s.length - 2];
      const fanOut = receptive * s[s.length - 1];
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < n; i++) out[i] = (rng.next() * 2 - 1) * limit;
      return out;
    }
    case 'embeddings':
      for (let i = 0; i < n; i++) out[i] = (rng.next() * 2 - 1) * 0.05;
      return out;
    case 'gamma':
    case 'moving_variance':
      return out.fill(1);
    default:
      return out;
  }
}
