import type {
  ActivationFn,
  Conv1DParams,
  Conv2DParams,
  DepthwiseConv2DParams,
  Graph,
  Layer,
  LayerParamsByType,
  LayerType,
  Padding,
  SeparableConv2DParams,
} from './types.js';

/** Builds graphs in code with Keras-like defaults; ids are `<type>_<n>` unless given. */
export class GraphBuilder {
  private readonly layers: Layer[] = [];
  private readonly counters = new Map<string, number>();

  add<T extends LayerType>(type: T, params: LayerParamsByType[T], inputs: string[], id?: string): string {
    const n = (this.counters.get(type) ?? 0) + 1;
    this.counters.set(type, n);
    const layerId = id ?? `${type}_${n}`;
    this.layers.push({ id: layerId, type, params, inputs } as Layer);
    return layerId;
  }

  input(shape: number[], dtype: 'float32' | 'int32' = 'float32', id = 'input'): string {
    return this.add('input', { shape, dtype }, [], id);
  }

  conv2d(x: string, filters: number, kernel = 3, opts: Partial<Conv2DParams> = {}): string {
    return this.add(
      'conv2d',
      { filters, kernelSize: [kernel, kernel], strides: [1, 1], padding: 'same', dilation: [1, 1], useBias: true, activation: 'linear', ...opts },
      [x],
    );
  }

  separableConv2d(x: string, filters: number, kernel = 3, opts: Partial<SeparableConv2DParams> = {}): string {
    return this.add(
      'separableConv2d',
      {
        filters,
        kernelSize: [kernel, kernel],
        strides: [1, 1],
        padding: 'same',
        dilation: [1, 1],
        depthMultiplier: 1,
        useBias: true,
        activation: 'linear',
        ...opts,
      },
      [x],
    );
  }

  depthwiseConv2d(x: string, kernel = 3, opts: Partial<DepthwiseConv2DParams> = {}): string {
    return this.add(
      'depthwiseConv2d',
      { kernelSize: [kernel, kernel], strides: [1, 1], padding: 'same', dilation: [1, 1], depthMultiplier: 1, useBias: true, activation: 'linear', ...opts },
      [x],
    );
  }

  conv1d(x: string, filters: number, kernel = 3, opts: Partial<Conv1DParams> = {}): string {
    return this.add(
      'conv1d',
      { filters, kernelSize: kernel, strides: 1, padding: 'same', dilation: 1, useBias: true, activation: 'linear', ...opts },
      [x],
    );
  }

  dense(x: string, units: number, activation: ActivationFn = 'linear', useBias = true): string {
    return this.add('dense', { units, useBias, activation }, [x]);
  }

  /** Momentum 0.9 (PyTorch's 0.1): moving statistics settle within the few hundred steps of a short training. */
  batchNorm(x: string, epsilon = 1e-3, momentum = 0.9): string {
    return this.add('batchNorm', { epsilon, momentum }, [x]);
  }

  activation(x: string, fn: ActivationFn = 'relu'): string {
    return this.add('activation', { fn }, [x]);
  }

  maxPool2d(x: string, size = 2, stride = size, padding: Padding = 'valid'): string {
    return this.add('maxPool2d', { poolSize: [size, size], strides: [stride, stride], padding }, [x]);
  }

  avgPool2d(x: string, size = 2, stride = size, padding: Padding = 'valid'): string {
    return this.add('avgPool2d', { poolSize: [size, size], strides: [stride, stride], padding }, [x]);
  }

  maxPool1d(x: string, size = 2, stride = size, padding: Padding = 'valid'): string {
    return this.add('maxPool1d', { poolSize: size, strides: stride, padding }, [x]);
  }

  avgPool1d(x: string, size = 2, stride = size, padding: Padding = 'valid'): string {
    return this.add('avgPool1d', { poolSize: size, strides: stride, padding }, [x]);
  }

  globalAvgPool(x: string): string {
    return this.add('globalAvgPool', {}, [x]);
  }

  globalMaxPool(x: string): string {
    return this.add('globalMaxPool', {}, [x]);
  }

  flatten(x: string): string {
    return this.add('flatten', {}, [x]);
  }

  dropout(x: string, rate: number): string {
    return this.add('dropout', { rate }, [x]);
  }

  addLayers(xs: string[]): string {
    return this.add('add', {}, xs);
  }

  concat(xs: string[]): string {
    return this.add('concat', {}, xs);
  }

  embedding(x: string, inputDim: number, outputDim: number): string {
    return this.add('embedding', { inputDim, outputDim }, [x]);
  }

  /** Conv → BatchNorm → ReLU, the block NetSprout grows networks from. */
  convBnRelu(x: string, filters: number, kernel = 3): string {
    return this.activation(this.batchNorm(this.conv2d(x, filters, kernel, { useBias: false })), 'relu');
  }

  build(output: string): Graph {
    return { version: 1, layers: [...this.layers], output };
  }
}
