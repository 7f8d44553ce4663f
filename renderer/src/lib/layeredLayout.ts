/**
 * Positions for a network's layers, top (input) to bottom (output): each layer one row below its deepest input
 * (the longest path, so a skip connection never points upwards), layers of a row ordered by where their inputs
 * sit, to keep edges from crossing. Networks are DAGs, so this is all a layout needs.
 */
export interface LayoutNode {
  id: string;
  inputs: string[];
}

export function layeredPositions(nodes: LayoutNode[], rowGap = 56, colGap = 150): Map<string, { x: number; y: number }> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0; // not a DAG: give up on this edge rather than loop
    visiting.add(id);
    const n = byId.get(id);
    const d = n && n.inputs.length ? 1 + Math.max(...n.inputs.filter((i) => byId.has(i)).map(depthOf), -1) : 0;
    visiting.delete(id);
    depth.set(id, d);
    return d;
  };
  nodes.forEach((n) => depthOf(n.id));

  const rows: string[][] = [];
  for (const n of nodes) (rows[depth.get(n.id)!] ??= []).push(n.id);
  const x = new Map<string, number>();
  const out = new Map<string, { x: number; y: number }>();
  rows.forEach((row, d) => {
    if (!row) return;
    const wanted = (id: string) => {
      const xs = (byId.get(id)?.inputs ?? []).map((i) => x.get(i)).filter((v): v is number => v !== undefined);
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0;
    };
    row.sort((a, b) => wanted(a) - wanted(b));
    row.forEach((id, k) => {
      const px = (k - (row.length - 1) / 2) * colGap;
      x.set(id, px);
      out.set(id, { x: px, y: d * rowGap });
    });
  });
  return out;
}
