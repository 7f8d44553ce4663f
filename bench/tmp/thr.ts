import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { registerThreadedWasm } from '../../engine/backend/wasmThreads.js';
await registerThreadedWasm(2);
console.log(await tf.setBackend('wasm'), tf.getBackend(), getThreadsCount());
const x = tf.randomNormal([128, 28, 28, 32]); const w = tf.randomNormal([3, 3, 32, 32]);
for (let i = 0; i < 2; i++) tf.tidy(() => { tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same').dataSync(); });
const t = performance.now(); for (let i = 0; i < 5; i++) tf.tidy(() => { tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same').dataSync(); }); console.log('conv fwd ms', (performance.now() - t) / 5);
