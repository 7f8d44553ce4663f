/**
 * Assembles an ONNX GraphProto/ModelProto with onnx-proto: nodes, float initializers (little-endian raw_data),
 * typed attributes, graph inputs and outputs with a symbolic batch dimension, and unique tensor names.
 * It knows nothing about NetSprout's IR; onnxWriter.ts lowers the IR onto it.
 */
import pkg from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = pkg;
type IAttributeProto = OnnxTypes.IAttributeProto;
type INodeProto = OnnxTypes.INodeProto;
type ITensorProto = OnnxTypes.ITensorProto;
type IValueInfoProto = OnnxTypes.IValueInfoProto;

export type OnnxElemType = 'float32' | 'int32';
/** A dimension: a fixed size, or a name for a symbolic one (the batch). */
export type OnnxDim = number | string;

const ELEM_TYPE: Record<OnnxElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int32: onnx.TensorProto.DataType.INT32,
};

const A = onnx.AttributeProto.AttributeType;

export function intAttr(name: string, i: number): IAttributeProto {
  return { name, type: A.INT, i };
}

export function intsAttr(name: string, ints: number[]): IAttributeProto {
  return { name, type: A.INTS, ints };
}

export function floatAttr(name: string, f: number): IAttributeProto {
  return { name, type: A.FLOAT, f };
}

/** Float32 values as little-endian bytes, whatever the host's byte order. */
function littleEndianBytes(values: Float32Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  return bytes;
}

function valueInfo(name: string, elemType: OnnxElemType, dims: OnnxDim[]): IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM_TYPE[elemType],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export interface OnnxModelInfo {
  irVersion: number;
  opset: number;
  producerName: string;
  producerVersion?: string;
  docString?: string;
  metadata: Record<string, string>;
}

export class OnnxGraphBuilder {
  private readonly nodes: INodeProto[] = [];
  private readonly initializers: ITensorProto[] = [];
  private readonly inputs: IValueInfoProto[] = [];
  private readonly outputs: IValueInfoProto[] = [];
  private readonly usedNames = new Set<string>();
  private readonly scalarNames = new Map<number, string>();

  constructor(readonly graphName: string) {}

  /** `base` itself if no tensor or node has that name yet, else `base_2`, `base_3`, … */
  uniqueName(base: string): string {
    let name = base;
    for (let k = 2; this.usedNames.has(name); k++) name = `${base}_${k}`;
    this.usedNames.add(name);
    return name;
  }

  /** Claims a name exactly (graph inputs and outputs), failing if it is taken. */
  reserveName(name: string): string {
    if (this.usedNames.has(name)) throw new Error(`ONNX tensor name "${name}" is used twice`);
    this.usedNames.add(name);
    return name;
  }

  addInput(name: string, elemType: OnnxElemType, dims: OnnxDim[]): string {
    this.inputs.push(valueInfo(this.reserveName(name), elemType, dims));
    return name;
  }

  /** Declares `tensor` a graph output under `name` (renaming the tensor, or adding an Identity for a graph input). */
  addOutput(tensor: string, name: string, elemType: OnnxElemType, dims: OnnxDim[]): void {
    const producedByNode = this.nodes.some((n) => n.output?.includes(tensor));
    if (producedByNode && !this.outputs.some((o) => o.name === tensor)) {
      this.reserveName(name);
      this.renameTensor(tensor, name);
    } else {
      this.nodes.push({ opType: 'Identity', input: [tensor], output: [this.reserveName(name)], name: this.uniqueName(`${name}/Identity`) });
    }
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** A float32 initializer; returns its tensor name. */
  addInitializer(base: string, values: Float32Array, dims: number[]): string {
    const size = dims.reduce((a, b) => a * b, 1);
    if (values.length !== size) throw new Error(`Initializer "${base}": ${values.length} values for dims [${dims.join(', ')}]`);
    const name = this.uniqueName(base);
    this.initializers.push({ name, dims, dataType: ELEM_TYPE.float32, rawData: littleEndianBytes(values) });
    return name;
  }

  /** A float32 scalar constant, shared by every node that uses the same value. */
  scalar(value: number): string {
    const key = Math.fround(value);
    let name = this.scalarNames.get(key);
    if (!name) {
      name = this.addInitializer(`const_${String(key).replace(/[^0-9a-zA-Z]/g, '_')}`, Float32Array.of(key), []);
      this.scalarNames.set(key, name);
    }
    return name;
  }

  /** Adds a node with one output; returns the output's tensor name. */
  addNode(opType: string, inputs: string[], outputBase: string, attribute: IAttributeProto[] = []): string {
    const output = this.uniqueName(outputBase);
    this.nodes.push({ opType, input: inputs, output: [output], name: this.uniqueName(`${outputBase}/${opType}`), attribute });
    return output;
  }

  private renameTensor(from: string, to: string): void {
    for (const n of this.nodes) {
      n.input = n.input?.map((t) => (t === from ? to : t));
      n.output = n.output?.map((t) => (t === from ? to : t));
    }
  }

  toModelBytes(info: OnnxModelInfo): Uint8Array {
    const model: OnnxTypes.IModelProto = {
      irVersion: info.irVersion,
      opsetImport: [{ domain: '', version: info.opset }],
      producerName: info.producerName,
      ...(info.producerVersion !== undefined ? { producerVersion: info.producerVersion } : {}),
      ...(info.docString !== undefined ? { docString: info.docString } : {}),
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadataProps: Object.entries(info.metadata).map(([key, value]) => ({ key, value })),
    };
    return onnx.ModelProto.encode(model).finish();
  }
}
