import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../engine/backend/ladder.js';
await initBackend('wasm');
for (const [n, c] of [[50176, 32], [12544, 64], [3136, 128]]) {
  const x = tf.randomNormal([n, c]) as tf.Tensor2D;
  const ones = tf.ones([1, n]) as tf.Tensor2D;
  const time = (name: string, f: () => tf.Tensor) => { for (let i = 0; i < 2; i++) tf.tidy(() => f().dataSync()); const t = performance.now(); for (let i = 0; i < 10; i++) tf.tidy(() => f().dataSync()); console.log(n, c, name, ((performance.now() - t) / 10).toFixed(3)); };
  time('matmul ones', () => tf.matMul(ones, x));
  time('sum axis0', () => tf.sum(x, 0));
  time('matmul xT ones', () => tf.matMul(x, tf.ones([n, 1]), true, false));
  time('avgpool', () => tf.avgPool(tf.reshape(x, [1, 1, n, c]) as tf.Tensor4D, [1, n], [1, n], 'valid'));
  time('two-stage matmul', () => { const k = 64; const x3 = tf.reshape(x, [n / k, k * c]); const s1 = tf.matMul(tf.ones([1, n / k]), x3); return tf.sum(tf.reshape(s1, [k, c]), 0); });
  time('mul bcast', () => tf.mul(x, tf.ones([1, c])));
}
