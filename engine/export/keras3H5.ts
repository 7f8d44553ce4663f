/**
 * model.weights.h5 in Keras 3's layout, written and read with h5wasm (HDF5 compiled to WebAssembly; its Node
 * build reaches the real file system through Emscripten's NODERAWFS, so paths are host paths).
 *
 * Layout, from keras/src/saving/saving_lib.py (`_save_state`, `_save_container_state`, `H5IOStore`) and
 * keras/src/layers/layer.py (`save_own_variables`):
 * - the model's own variables in the root group `vars` (a Functional model has none);
 * - the i-th layer of `model.layers` in `layers/<container>/vars`, its variables as datasets "0", "1", … in the
 *   order `_trainable_variables + _non_trainable_variables`, stored as h5py stores a numpy float32 array
 *   (contiguous, little-endian "<f4");
 * - since 3.6.0 every such `vars` group exists even when empty and carries a string attribute `name` with the
 *   object's name (the layer name; the model name on the root `vars`).
 * Loading looks datasets up by key and checks only their count per layer.
 */
import h5wasm from 'h5wasm/node';

export interface H5Variable {
  shape: number[];
  data: Float32Array;
}

export interface H5Container {
  /** Path of the container under the root, e.g. "layers/conv2d". */
  path: string;
  /** The saved object's name, written as the `name` attribute of its `vars` group. */
  name: string;
  variables: H5Variable[];
}

export interface H5Dataset {
  path: string;
  shape: number[];
  dtype: string;
  data: Float32Array;
}

export interface H5Contents {
  /** Every group and dataset, sorted by path: groups as "a/b", datasets as "a/b/0 [3,3,1,8] float32". */
  tree: string[];
  datasets: Map<string, H5Dataset>;
  /** The `name` attribute of each group that has one, by group path. */
  names: Map<string, string>;
  groups: Set<string>;
}

let ready: Promise<unknown> | null = null;

async function h5(): Promise<typeof h5wasm> {
  ready ??= h5wasm.ready;
  await ready;
  return h5wasm;
}

/** Writes the weights file: the root `vars` group named `modelName`, then one `vars` group per container. */
export async function writeWeightsH5(file: string, modelName: string, containers: H5Container[]): Promise<void> {
  const lib = await h5();
  const f = new lib.File(file, 'w', { libver: ['earliest', 'v110'] });
  try {
    f.create_group('vars').create_attribute('name', modelName, null, 'S');
    const created = new Set<string>();
    for (const c of containers) {
      const vars = makeGroups(f, `${c.path}/vars`, created);
      vars.create_attribute('name', c.name, null, 'S');
      c.variables.forEach((v, i) => {
        vars.create_dataset({ name: String(i), data: v.data, shape: v.shape, dtype: '<f' });
      });
    }
  } finally {
    f.close();
  }
}

function makeGroups(f: InstanceType<typeof h5wasm.File>, path: string, created: Set<string>): InstanceType<typeof h5wasm.Group> {
  let group: InstanceType<typeof h5wasm.Group> = f;
  let sofar = '';
  for (const part of path.split('/')) {
    sofar = sofar ? `${sofar}/${part}` : part;
    if (!created.has(sofar)) {
      group.create_group(part);
      created.add(sofar);
    }
    group = f.get(sofar) as InstanceType<typeof h5wasm.Group>;
  }
  return group;
}

const DTYPE_NAMES: Record<string, string> = { '<f': 'float32', '<d': 'float64', '<i': 'int32', '<q': 'int64', '<h': 'int16', '|b': 'int8', '|B': 'uint8' };

/** Reads every group, dataset and group `name` attribute of an h5 file. Values are returned as float32. */
export async function readH5(file: string): Promise<H5Contents> {
  const lib = await h5();
  const f = new lib.File(file, 'r');
  const contents: H5Contents = { tree: [], datasets: new Map(), names: new Map(), groups: new Set() };
  try {
    walk(lib, f, '', contents);
  } finally {
    f.close();
  }
  contents.tree.sort();
  return contents;
}

function walk(lib: typeof h5wasm, group: InstanceType<typeof h5wasm.Group>, prefix: string, out: H5Contents): void {
  for (const key of group.keys()) {
    const path = prefix ? `${prefix}/${key}` : key;
    const child = group.get(key);
    if (child instanceof lib.Group) {
      out.groups.add(path);
      out.tree.push(path);
      const name = child.attrs.name?.value;
      if (typeof name === 'string') out.names.set(path, name);
      walk(lib, child, path, out);
    } else if (child instanceof lib.Dataset) {
      const shape = child.shape ?? [];
      const dtype = typeof child.dtype === 'string' ? (DTYPE_NAMES[child.dtype] ?? child.dtype) : JSON.stringify(child.dtype);
      out.datasets.set(path, { path, shape, dtype, data: toFloat32(child.value) });
      out.tree.push(`${path} [${shape.join(',')}] ${dtype}`);
    }
    // Links and named datatypes are not part of a Keras weights file; they are left out.
  }
}

function toFloat32(value: unknown): Float32Array {
  if (value instanceof Float32Array) return new Float32Array(value);
  if (ArrayBuffer.isView(value)) return Float32Array.from(value as unknown as ArrayLike<number | bigint>, Number);
  if (typeof value === 'number' || typeof value === 'bigint') return Float32Array.of(Number(value));
  return new Float32Array(0);
}
