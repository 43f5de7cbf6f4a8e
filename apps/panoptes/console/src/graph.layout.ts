// Lays out the plugin graph for the pipeline page: plugin instances and the
// topics between them as a left-to-right layered diagram. A plugin's column is
// the longest chain of plugins feeding it, so sources sit left, sinks right,
// and every topic sits in the column between its producer and consumers.

export interface GraphPlugin {
  id: string;
  kind: string;
  inputs: Readonly<Record<string, string>>;
  outputs: Readonly<Record<string, string>>;
}

export interface GraphNode {
  /** "plugin:<id>" or "topic:<name>". */
  key: string;
  type: 'plugin' | 'topic';
  name: string;
  col: number;
  row: number;
  x: number;
  y: number;
}

export interface GraphEdge {
  from: string;
  to: string;
}

export interface GraphLayout {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}

export interface LayoutSize {
  colWidth: number;
  rowHeight: number;
  margin: number;
}

const KIND_ORDER: Record<string, number> = { source: 0, transform: 1, sink: 2 };

export function layoutGraph(
  plugins: readonly GraphPlugin[],
  size: LayoutSize = { colWidth: 200, rowHeight: 84, margin: 20 },
): GraphLayout {
  const producers = new Map<string, string[]>();
  for (const p of plugins)
    for (const t of Object.values(p.outputs)) producers.set(t, [...(producers.get(t) ?? []), p.id]);

  // Plugin depth = longest chain of upstream plugins (cycles are cut by the visiting set).
  const depth = new Map<string, number>();
  const byId = new Map(plugins.map((p) => [p.id, p]));
  const visit = (id: string, stack: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (stack.has(id)) return 0;
    stack.add(id);
    const p = byId.get(id)!;
    let d = 0;
    for (const t of Object.values(p.inputs))
      for (const up of producers.get(t) ?? []) d = Math.max(d, visit(up, stack) + 1);
    stack.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const p of plugins) visit(p.id, new Set());

  const nodes = new Map<string, GraphNode>();
  const edges: GraphEdge[] = [];
  const add = (key: string, type: GraphNode['type'], name: string, col: number): void => {
    const n = nodes.get(key);
    if (!n) nodes.set(key, { key, type, name, col, row: 0, x: 0, y: 0 });
    else if (type === 'topic') n.col = Math.min(n.col, col);
  };
  const sorted = [...plugins].sort(
    (a, b) =>
      depth.get(a.id)! - depth.get(b.id)! ||
      (KIND_ORDER[a.kind] ?? 1) - (KIND_ORDER[b.kind] ?? 1) ||
      a.id.localeCompare(b.id),
  );
  for (const p of sorted) add(`plugin:${p.id}`, 'plugin', p.id, depth.get(p.id)! * 2);
  for (const p of sorted) {
    for (const t of Object.values(p.outputs)) {
      add(`topic:${t}`, 'topic', t, depth.get(p.id)! * 2 + 1);
      edges.push({ from: `plugin:${p.id}`, to: `topic:${t}` });
    }
  }
  for (const p of sorted) {
    for (const t of Object.values(p.inputs)) {
      // A topic nobody here produces (fed from Kafka by another process) sits just left of its consumer.
      add(`topic:${t}`, 'topic', t, Math.max(0, depth.get(p.id)! * 2 - 1));
      edges.push({ from: `topic:${t}`, to: `plugin:${p.id}` });
    }
  }

  // Compact the columns (drop empty ones), then stack nodes within each column.
  const cols = [...new Set([...nodes.values()].map((n) => n.col))].sort((a, b) => a - b);
  const rows = new Map<number, number>();
  for (const n of nodes.values()) {
    n.col = cols.indexOf(n.col);
    n.row = rows.get(n.col) ?? 0;
    rows.set(n.col, n.row + 1);
  }
  const maxRows = Math.max(1, ...rows.values());
  for (const n of nodes.values()) {
    const inCol = rows.get(n.col)!;
    n.x = size.margin + n.col * size.colWidth;
    // Centre shorter columns against the tallest one.
    n.y = size.margin + (n.row + (maxRows - inCol) / 2) * size.rowHeight;
  }
  return {
    nodes: [...nodes.values()],
    edges,
    width: size.margin * 2 + Math.max(1, cols.length) * size.colWidth,
    height: size.margin * 2 + maxRows * size.rowHeight,
  };
}
