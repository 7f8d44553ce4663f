/**
 * Names in a Keras 3 `.keras` file, and the order Keras walks a Functional model in.
 *
 * Conventions, from keras-team/keras (read at v3.6.0 and master):
 * - `keras/src/utils/naming.py` `to_snake_case`: the class name → snake case regex (ReLU → re_lu).
 * - `keras/src/saving/saving_lib.py` `_save_container_state` / `_get_unique_name`: the weights of the i-th layer
 *   of `model.layers` live under `layers/<snake_case(class name)>[_<n>]`, with a counter per class name inside
 *   the list (conv2d, conv2d_1, conv2d_2, …), never under the layer's own name.
 * - `keras/src/ops/function.py` `map_graph` / `_build_map`: `model.layers` (and the `layers` list of a
 *   Functional config) is ordered by depth from the output (deepest first), ties broken by the order in which a
 *   depth-first walk from the outputs first meets each layer. A reloaded model recomputes this order from the
 *   graph, so the container names follow from the graph, not from how the file lists the layers.
 * - `keras/src/ops/operation.py`: a layer name must not contain "/"; TensorFlow name scopes also refuse most
 *   punctuation, so ids are reduced to [A-Za-z0-9_.-].
 */

/** keras.src.utils.naming.to_snake_case, regex for regex. */
export function toSnakeCase(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_]+/g, '');
  s = s.replace(/(.)([A-Z][a-z]+)/g, '$1_$2');
  return s.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** saving_lib._get_unique_name: the first use of a name is bare, later ones get _1, _2, … */
export class UniqueNames {
  private readonly used = new Map<string, number>();

  next(name: string): string {
    const seen = this.used.get(name);
    if (seen === undefined) {
      this.used.set(name, 0);
      return name;
    }
    this.used.set(name, seen + 1);
    return `${name}_${seen + 1}`;
  }
}

/** The h5 container names of a list of layers, given their Keras class names in `model.layers` order. */
export function containerNames(classNames: string[]): string[] {
  const names = new UniqueNames();
  return classNames.map((c) => names.next(toSnakeCase(c)));
}

const SAFE_NAME = /^[A-Za-z0-9.][A-Za-z0-9_.-]*$/;

/** A layer name Keras and TensorFlow accept: unsafe characters become "_", and a safe first character is ensured. */
export function sanitiseLayerName(id: string): string {
  if (SAFE_NAME.test(id)) return id;
  const s = id.replace(/[^A-Za-z0-9_.-]/g, '_');
  return /^[A-Za-z0-9.]/.test(s) ? s : `layer${s}`;
}

/** Keras layer names for a list of unique ids, in the same order: sanitised where needed, kept unique. */
export function layerNamesFor(ids: string[]): string[] {
  // Ids that are valid names keep them (ids are unique); the others get their sanitised form, made unique.
  const taken = new Set(ids.filter((id) => sanitiseLayerName(id) === id));
  return ids.map((id) => {
    const safe = sanitiseLayerName(id);
    if (safe === id) return id;
    const name = freeName(safe, taken);
    taken.add(name);
    return name;
  });
}

/** A free name for a layer Keras would call `base` (e.g. "normalization"), avoiding `taken`. */
export function freeName(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  let n = 1;
  while (taken.has(`${base}_${n}`)) n++;
  return `${base}_${n}`;
}

/** One call of a layer: its name and the names of the layers whose outputs it takes, in argument order. */
export interface GraphNode {
  name: string;
  inputs: string[];
}

/**
 * The order of `model.layers` for a graph with one call per layer (keras.src.ops.function.map_graph):
 * depth = longest path to an output (outputs have depth 0); deeper layers first; equal depths in the order a
 * depth-first walk from the outputs (inputs of a call in argument order) first reaches them.
 */
export function kerasLayerOrder(nodes: GraphNode[], outputs: string[]): string[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const firstSeen = new Map<string, number>();
  const postOrder: string[] = [];
  const finished = new Set<string>();
  const visit = (name: string): void => {
    if (finished.has(name)) return;
    const node = byName.get(name);
    if (!node) throw new Error(`kerasLayerOrder: unknown layer "${name}"`);
    if (!firstSeen.has(name)) firstSeen.set(name, firstSeen.size);
    for (const input of node.inputs) visit(input);
    finished.add(name);
    postOrder.push(name);
  };
  for (const out of outputs) visit(out);

  const depth = new Map<string, number>();
  for (const name of [...postOrder].reverse()) {
    const d = depth.get(name) ?? 0;
    depth.set(name, d);
    for (const input of byName.get(name)!.inputs) depth.set(input, Math.max(d + 1, depth.get(input) ?? 0));
  }
  return [...postOrder].sort((a, b) => depth.get(b)! - depth.get(a)! || firstSeen.get(a)! - firstSeen.get(b)!);
}
