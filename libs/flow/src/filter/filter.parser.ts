/**
 * Parser for the ra filter language (see filter.ts for the grammar). As in
 * ra and tcpdump, `and` and `or` have equal precedence and associate left to
 * right (`tcp or udp and port 53` is `(tcp or udp) and port 53`); `not` binds
 * tightest; a bare value reuses the most recent qualifiers
 * (`port 22 or 80`, `host 10.0.0.1 and 10.0.0.2`).
 */
import { FIELD_BY_NAME } from '../flow.catalogue';
import { CmpOp, DERIVED_FIELDS, FilterAst, FilterNode } from './filter.ast';
import { FilterError, Token, tokenize } from './filter.lexer';
import { formatIpv4, formatIpv6, isMac, maskIpv4, maskIpv6, parseIpv4, parseIpv6 } from './filter.addr';
import {
  cmp,
  FAMILIES,
  FLAG_WORDS,
  OP_WORDS,
  PROTO_BY_NUMBER,
  PROTO_WORDS,
  protoValues as _protoValues,
  SERVICES,
  sided,
  STATE_WORDS,
  UNSUPPORTED_WORDS,
} from './filter.words';

type Dir = 'src' | 'dst' | 'either' | 'both';

/** The qualifiers of the last primitive, reused by a bare value after it. */
interface Qualifiers {
  readonly proto?: FilterNode;
  readonly dir: Dir;
  /** host, net, port, ether, srcid, proto, a family word or a field name. */
  readonly kind: string;
  readonly op?: CmpOp;
}

const NUMBER = /^(-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|0[xX][0-9a-fA-F]+)$/;
const TYPE_WORDS = new Set(['host', 'net', 'port', 'ether', 'srcid', 'proto', ...FAMILIES.keys()]);

export function parseFilter(expression: string): FilterAst {
  return { expression, root: new Parser(expression).parse() };
}

class Parser {
  private readonly tokens: Token[];
  private pos = 0;
  private last?: Qualifiers;

  constructor(private readonly expr: string) {
    this.tokens = tokenize(expr);
  }

  parse(): FilterNode {
    if (this.peek().kind === 'end') return { type: 'all' };
    const root = this.expression();
    const t = this.peek();
    if (t.kind === 'rparen') this.fail('unbalanced ")"', t);
    if (t.kind !== 'end') this.fail('expected "and" or "or" between primitives', t);
    return root;
  }

  private expression(): FilterNode {
    let left = this.unary();
    for (let t = this.peek(); t.kind === 'and' || t.kind === 'or'; t = this.peek()) {
      this.pos++;
      left = { type: t.kind, left, right: this.unary() };
    }
    return left;
  }

  private unary(): FilterNode {
    const t = this.peek();
    if (t.kind === 'not') {
      this.pos++;
      return { type: 'not', expr: this.unary() };
    }
    if (t.kind === 'lparen') {
      this.pos++;
      const inner = this.expression();
      const close = this.peek();
      if (close.kind !== 'rparen') this.fail('expected ")" to close the "(" at column ' + t.column, close);
      this.pos++;
      return inner;
    }
    return this.primitive();
  }

  private primitive(): FilterNode {
    const t = this.peek();
    if (t.kind === 'end') this.fail('expected a primitive, found the end of the expression', t);
    if (t.kind === 'string') return this.bareValue(t);
    if (t.kind !== 'word') this.fail('expected a primitive', t);
    const w = t.text.toLowerCase();

    if (w === 'ip' || w === 'ipv4' || w === 'ipv6') {
      this.pos++;
      const fam: FilterNode =
        w === 'ipv4'
          ? { type: 'family', version: 4 }
          : w === 'ipv6'
            ? { type: 'family', version: 6 }
            : {
                type: 'or',
                left: { type: 'family', version: 4 },
                right: { type: 'family', version: 6 },
              };
      return this.withProtoPrefix(fam);
    }
    const protoNames = PROTO_WORDS.get(w);
    if (protoNames) {
      this.pos++;
      return this.withProtoPrefix({
        type: 'in',
        field: 'proto',
        values: protoNames,
      });
    }
    if (w === 'src' || w === 'dst') return this.qualified(undefined, this.direction());
    if (TYPE_WORDS.has(w)) return this.qualified(undefined, 'either');
    const flagged = FLAG_WORDS.get(w);
    if (flagged) {
      this.pos++;
      return flagged('either');
    }
    const states = STATE_WORDS.get(w);
    if (states) {
      this.pos++;
      return { type: 'in', field: 'state', values: states };
    }
    if (w === 'multicast' || w === 'broadcast') {
      this.pos++;
      const side = (f: string): FilterNode =>
        w === 'broadcast'
          ? cmp(f, 'eq', '255.255.255.255')
          : {
              type: 'or',
              left: {
                type: 'net',
                field: f,
                family: 4,
                net: '224.0.0.0',
                prefix: 4,
              },
              right: {
                type: 'net',
                field: f,
                family: 6,
                net: 'ff00::',
                prefix: 8,
              },
            };
      return sided('either', side, 'saddr', 'daddr');
    }
    if (FIELD_BY_NAME.has(t.text) || (DERIVED_FIELDS as readonly string[]).includes(t.text)) {
      this.pos++;
      return this.fieldComparison(t.text, undefined, this.optionalOp());
    }
    if (UNSUPPORTED_WORDS.has(w))
      this.fail(`"${t.text}" is an ra primitive that Panoptes records carry no data for`, t);
    return this.bareValue(t);
  }

  /** A protocol word may prefix a qualified primitive: `tcp dst port 80`. */
  private withProtoPrefix(proto: FilterNode): FilterNode {
    const n = this.peek();
    if (n.kind !== 'word') return proto;
    const w = n.text.toLowerCase();
    if (w !== 'src' && w !== 'dst' && !TYPE_WORDS.has(w)) return proto;
    const dir = w === 'src' || w === 'dst' ? this.direction() : 'either';
    return this.qualified(proto, dir);
  }

  /** src | dst | src or dst | src and dst. */
  private direction(): Dir {
    const first = this.next().text.toLowerCase() as 'src' | 'dst';
    const conj = this.peek();
    const other = this.tokens[this.pos + 1];
    if ((conj.kind === 'and' || conj.kind === 'or') && other.kind === 'word') {
      const o = other.text.toLowerCase();
      if ((o === 'src' || o === 'dst') && o !== first) {
        this.pos += 2;
        return conj.kind === 'and' ? 'both' : 'either';
      }
    }
    return first;
  }

  /** After optional protocol and direction: a type word and its value, a flag word, or a bare address (host). */
  private qualified(proto: FilterNode | undefined, dir: Dir): FilterNode {
    const t = this.peek();
    const w = t.kind === 'word' ? t.text.toLowerCase() : '';
    const flagged = FLAG_WORDS.get(w);
    if (flagged) {
      this.pos++;
      return this.and(proto, flagged(dir));
    }
    let kind = 'host';
    let op: CmpOp | undefined;
    if (TYPE_WORDS.has(w)) {
      this.pos++;
      kind = w;
      if (kind === 'ether') dir = this.etherDir(dir);
      if (FAMILIES.has(kind) || kind === 'proto') op = this.optionalOp();
    } else if (FIELD_BY_NAME.has(t.text) || (DERIVED_FIELDS as readonly string[]).includes(t.text)) {
      this.fail(`src and dst do not apply to ${t.text}: name the field alone`, t);
    } else if (t.kind !== 'word' && t.kind !== 'string') {
      this.fail('expected host, net, port or a field type after the qualifier', t);
    }
    return this.valued({ proto, dir, kind, op });
  }

  /** `ether host X`, `ether src X`, `ether dst X`: the word after ether may give the direction. */
  private etherDir(dir: Dir): Dir {
    const n = this.peek();
    const w = n.kind === 'word' ? n.text.toLowerCase() : '';
    if (w !== 'host' && w !== 'src' && w !== 'dst') this.fail('expected host, src or dst after "ether"', n);
    this.pos++;
    return w === 'src' ? 'src' : w === 'dst' ? 'dst' : dir;
  }

  /** Parses the value of a primitive whose qualifiers are known, and remembers them. */
  private valued(q: Qualifiers): FilterNode {
    this.last = q;
    const { proto, dir, kind } = q;
    const v = this.peek();
    if (v.kind !== 'word' && v.kind !== 'string') this.fail(`expected a value after "${kind}"`, v);
    this.pos++;
    let node: FilterNode;
    if (kind === 'host') node = sided(dir, (f) => this.hostNode(f, v), 'saddr', 'daddr');
    else if (kind === 'net') node = sided(dir, (f) => this.netNode(f, v), 'saddr', 'daddr');
    else if (kind === 'port') node = sided(dir, this.portBuilder(v), 'sport', 'dport');
    else if (kind === 'ether') node = sided(dir, (f) => cmp(f, 'eq', this.mac(v)), 'smac', 'dmac');
    else if (kind === 'srcid') node = cmp('sid', 'eq', v.text);
    else {
      const fam = FAMILIES.get(kind);
      if (fam) {
        const op = q.op ?? 'eq';
        node = sided(dir, (f) => this.fieldValue(f, op, v, fam.str ? 'string' : 'number'), fam.src, fam.dst);
      } else {
        node = this.fieldValueNode(kind, q.op ?? 'eq', v);
      }
    }
    return this.and(proto, node);
  }

  /** A value with no keyword before it: the most recent qualifiers apply, or `host` when there are none. */
  private bareValue(t: Token): FilterNode {
    const looksLikeValue = t.kind === 'string' || /^[0-9.:]/.test(t.text) || /[.:/]/.test(t.text);
    if (this.last) return this.valued(this.last);
    if (!looksLikeValue) this.fail(`unknown word "${t.text}"`, t);
    return this.valued({ dir: 'either', kind: 'host' });
  }

  /** `<field> [op] value` for any catalogue field or derived rate/load field. */
  private fieldComparison(field: string, proto: FilterNode | undefined, op: CmpOp | undefined): FilterNode {
    return this.valued({ proto, dir: 'either', kind: field, op });
  }

  private fieldValueNode(field: string, op: CmpOp, v: Token): FilterNode {
    const def = FIELD_BY_NAME.get(field);
    if (def?.type === 'addr') {
      const node = v.text.includes('/') || parseIpv6(v.text) ? this.netNode(field, v) : this.hostNode(field, v);
      if (op === 'eq') return node;
      if (op === 'ne') return { type: 'not', expr: node };
      this.fail(`${field} is an address: only eq and ne apply`, v);
    }
    if (field === 'proto') {
      if (op !== 'eq' && op !== 'ne') this.fail('proto is a name: only eq and ne apply', v);
      const node: FilterNode = {
        type: 'in',
        field: 'proto',
        values: this.protoValue(v),
      };
      return op === 'eq' ? node : { type: 'not', expr: node };
    }
    const str = def?.type === 'string';
    return this.fieldValue(field, op, v, str ? 'string' : 'number');
  }

  private fieldValue(field: string, op: CmpOp, v: Token, type: 'string' | 'number'): FilterNode {
    if (type === 'string') {
      if (op !== 'eq' && op !== 'ne') this.fail(`${field} is text: only eq and ne apply`, v);
      return cmp(field, op, field === 'state' ? v.text.toUpperCase() : v.text);
    }
    if (v.kind !== 'word' || !NUMBER.test(v.text)) this.fail(`expected a number for ${field}`, v);
    return cmp(field, op, Number(v.text));
  }

  private optionalOp(): CmpOp | undefined {
    const t = this.peek();
    const op = t.kind === 'op' || t.kind === 'word' ? OP_WORDS.get(t.text.toLowerCase()) : undefined;
    if (op) this.pos++;
    return op;
  }

  private hostNode(field: string, v: Token): FilterNode {
    const s = v.text;
    const v4 = parseIpv4(s);
    if (v4 >= 0) return cmp(field, 'eq', formatIpv4(v4));
    const v6 = parseIpv6(s);
    if (v6)
      return {
        type: 'net',
        field,
        family: 6,
        net: formatIpv6(v6),
        prefix: 128,
      };
    if (isMac(s)) return cmp(field, 'eq', s.toLowerCase());
    if (s.includes('/')) this.fail('a CIDR needs "net", not "host"', v);
    if (/^[\d.]+$/.test(s)) this.fail('not an IPv4 address', v);
    this.fail('expected an IPv4, IPv6 or MAC address (host names are not resolved)', v);
  }

  private netNode(field: string, v: Token): FilterNode {
    const slash = v.text.indexOf('/');
    const addr = slash < 0 ? v.text : v.text.slice(0, slash);
    const bitsText = slash < 0 ? undefined : v.text.slice(slash + 1);
    const v4 = parseIpv4(addr);
    const v6 = v4 < 0 ? parseIpv6(addr) : undefined;
    if (v4 < 0 && !v6) this.fail('expected a network as address/prefix (10.0.0.0/8, 2001:db8::/32)', v);
    const max = v6 ? 128 : 32;
    const bits = bitsText === undefined ? max : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
    if (!(bits >= 0 && bits <= max)) this.fail(`prefix length must be 0 to ${max}`, v);
    if (v6)
      return {
        type: 'net',
        field,
        family: 6,
        net: formatIpv6(maskIpv6(v6, bits)),
        prefix: bits,
      };
    return {
      type: 'net',
      field,
      family: 4,
      net: formatIpv4(maskIpv4(v4, bits)),
      prefix: bits,
    };
  }

  private portBuilder(v: Token): (f: string) => FilterNode {
    const s = v.text.toLowerCase();
    const range = /^(\d+)-(\d+)$/.exec(s);
    if (range) {
      const lo = Number(range[1]);
      const hi = Number(range[2]);
      if (hi > 65535) this.fail('port must be 0 to 65535', v);
      if (lo > hi) this.fail('empty port range (low end above high end)', v);
      return (f) => ({ type: 'range', field: f, lo, hi });
    }
    const n = /^\d+$/.test(s) ? Number(s) : SERVICES.get(s);
    if (n === undefined) this.fail('expected a port number, range (53-100) or service name', v);
    if (n > 65535) this.fail('port must be 0 to 65535', v);
    return (f) => cmp(f, 'eq', n);
  }

  private protoValue(v: Token): string[] {
    const s = v.text.toLowerCase();
    if (/^\d+$/.test(s)) {
      const name = PROTO_BY_NUMBER.get(Number(s));
      return name ? [name, s] : [s];
    }
    const names = PROTO_WORDS.get(s);
    if (names) return [...names];
    if (/^0x[0-9a-f]{4}$/.test(s)) return [s];
    this.fail('expected a protocol name or number', v);
  }

  private mac(v: Token): string {
    if (!isMac(v.text)) this.fail('expected a MAC address (02:00:00:00:00:01)', v);
    return v.text.toLowerCase();
  }

  private and(proto: FilterNode | undefined, node: FilterNode): FilterNode {
    return proto ? { type: 'and', left: proto, right: node } : node;
  }

  private peek(): Token {
    return this.tokens[this.pos];
  }

  private next(): Token {
    return this.tokens[this.pos++];
  }

  private fail(reason: string, t: Token): never {
    throw new FilterError(reason, t.text, t.column, this.expr);
  }
}
