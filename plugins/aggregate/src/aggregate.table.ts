/**
 * The groups of one window, found by key without building a key string per
 * record: one nested Map level per key part, keyed by the part's value
 * (numbers stay numbers). On the benchmark rollup this is about twice as
 * fast as a joined string key, which costs a number-to-text conversion and a
 * fresh string hash for every record.
 */
import { KeyPart, KeyValue } from './aggregate.keys';
import { GroupState } from './aggregate.record';

type Row = Record<string, unknown>;
type Level = Map<KeyValue, unknown>;

export class GroupTable {
  private readonly root: Level = new Map();
  private readonly fns: ((r: Row) => KeyValue)[];
  size = 0;

  constructor(private readonly parts: readonly KeyPart[]) {
    this.fns = parts.map((p) => p.value);
  }

  get(r: Row): GroupState | undefined {
    const fns = this.fns;
    let m: Level | undefined = this.root;
    const last = fns.length - 1;
    for (let i = 0; i < last; i++) {
      m = m.get(fns[i](r)) as Level | undefined;
      if (m === undefined) return undefined;
    }
    return m.get(fns[last](r)) as GroupState | undefined;
  }

  /** The record's key values and their joined text (a group's sort key). */
  keyOf(r: Row): { values: KeyValue[]; text: string } {
    const values = this.fns.map((f) => f(r));
    return {
      values,
      text: values.map((v) => (typeof v === 'number' ? v.toString(36).padStart(12, '0') : String(v))).join('|'),
    };
  }

  /** Adds a group for the record's key (which get() did not find). */
  insert(values: readonly KeyValue[], g: GroupState): void {
    let m = this.root;
    const last = values.length - 1;
    for (let i = 0; i < last; i++) {
      let next = m.get(values[i]) as Level | undefined;
      if (next === undefined) m.set(values[i], (next = new Map()));
      m = next;
    }
    m.set(values[last], g);
    this.size++;
  }

  /** Every group, in no particular order. */
  values(): GroupState[] {
    const out: GroupState[] = [];
    const walk = (m: Level, depth: number): void => {
      for (const v of m.values()) {
        if (depth === this.parts.length - 1) out.push(v as GroupState);
        else walk(v as Level, depth + 1);
      }
    };
    walk(this.root, 0);
    return out;
  }
}
