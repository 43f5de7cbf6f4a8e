type Rec = Record<string, unknown>;

interface Shape {
  /** Own enumerable keys, in enumeration order. */
  readonly keys: readonly string[];
  /** Builds the copy: `new Copy(r)`. */
  readonly Copy: new (r: Rec) => Rec;
}

/** Distinct key lists one copier learns; records of any other shape are copied generically. */
const MAX_SHAPES = 8;
/** Records with more keys than this are copied generically. */
const MAX_KEYS = 200;

/**
 * Shallow copies of records, as `Object.assign({}, r)` makes them, for
 * transforms that add fields to records they do not own (the embedded bus
 * hands the same objects to every group reading a topic).
 *
 * `Object.assign` into `{}` adds the properties one by one: each addition
 * walks a map transition, and past the first few the out-of-object property
 * store is reallocated again and again (most of a copy's cost, and most of
 * its garbage). The records of one stream come in a handful of shapes, so
 * the copier compiles, per key list it meets, a constructor assigning each
 * field in order, whose prototype is Object.prototype (its objects are plain
 * objects like any other). V8 sizes such objects from the assignments, with
 * room for the fields the caller adds next, so a copy is one allocation with
 * every field in the object itself. (An object literal would do the same but
 * carries an allocation site: V8 then sometimes decides that the copies live
 * long, allocates them in the old generation and pays in full collections.)
 * A record is checked against a learnt key list by enumerating its keys (no
 * allocation); any other record, and the first of each shape, is copied with
 * `Object.assign`.
 *
 * Own enumerable string-keyed properties are copied, as by `Object.assign`;
 * symbol-keyed properties (which flow records never have) are copied only by
 * the generic path.
 */
export class RecordCopier {
  private readonly shapes: Shape[] = [];
  /** Length of the key prefix shapes s and t share, at s * MAX_SHAPES + t. */
  private readonly common = new Int32Array(MAX_SHAPES * MAX_SHAPES);
  /** The shape matched last: tried first. */
  private last = 0;

  copy(r: Rec): Rec {
    const shapes = this.shapes;
    const n = shapes.length;
    if (n === 0) return this.learn(r);
    // One pass over the record's keys. Shapes mostly differ in their last
    // keys (fields added by earlier stages), so on a mismatch the walk moves
    // to a shape that shares the keys matched so far and goes on with this one.
    let s = this.last;
    let keys = shapes[s].keys;
    let i = 0;
    for (const k in r) {
      if (k !== keys[i]) {
        const t = this.other(s, i, k);
        if (t < 0) return this.learn(r);
        s = t;
        keys = shapes[t].keys;
      }
      i++;
    }
    if (i !== keys.length) {
      const t = this.other(s, i, undefined);
      if (t < 0) return this.learn(r);
      s = t;
    }
    this.last = s;
    return new shapes[s].Copy(r);
  }

  /** A shape other than s sharing its first i keys whose key i is k (undefined: which has exactly i keys); -1 if none. */
  private other(s: number, i: number, k: string | undefined): number {
    const shapes = this.shapes;
    for (let t = 0; t < shapes.length; t++) {
      if (t !== s && this.common[s * MAX_SHAPES + t] >= i && shapes[t].keys[i] === k) {
        if (k !== undefined || shapes[t].keys.length === i) return t;
      }
    }
    return -1;
  }

  private learn(r: Rec): Rec {
    const out = Object.assign({}, r);
    const shapes = this.shapes;
    if (shapes.length >= MAX_SHAPES) return out;
    const keys = Object.keys(r);
    let enumerated = 0;
    for (const k in r) if (k !== keys[enumerated++]) return out; // inherited enumerable keys: never matched
    if (enumerated !== keys.length || keys.length > MAX_KEYS || keys.includes('__proto__')) return out;
    // Keys are written as JSON string literals, so no key can inject code.
    const body = keys.map((k) => `this[${JSON.stringify(k)}] = r[${JSON.stringify(k)}];`).join(' ');
    const Copy = new Function('r', `"use strict"; ${body}`) as unknown as new (r: Rec) => Rec;
    Copy.prototype = Object.prototype;
    const s = shapes.length;
    shapes.push({ keys, Copy });
    for (let t = 0; t < s; t++) {
      const other = shapes[t].keys;
      let p = 0;
      while (p < keys.length && p < other.length && keys[p] === other[p]) p++;
      this.common[s * MAX_SHAPES + t] = p;
      this.common[t * MAX_SHAPES + s] = p;
    }
    this.last = s;
    return out;
  }
}
