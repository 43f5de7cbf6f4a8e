/**
 * Translates a filter tree into a DuckDB WHERE clause over a table whose
 * columns are the catalogue's field names. Every value from the expression
 * travels as a `?` parameter; the SQL text holds only quoted catalogue names
 * and fixed fragments. Each leaf is wrapped in COALESCE(..., FALSE) so a NULL
 * field makes the leaf false, as in the JavaScript predicate (without it,
 * `not dst ttl lt 60` would drop records with no dttl in SQL but keep them in
 * JavaScript).
 *
 * Addresses are text columns and DuckDB's inet extension is not assumed, so
 * IPv4 networks compare the dotted quad as a number and IPv6 networks compare
 * the expanded 32-digit hex form by prefix. An IPv6 address written with an
 * embedded IPv4 tail (::ffff:192.0.2.1) does not match an IPv6 network in SQL.
 */
import { CmpOp, FilterAst, FilterNode } from './filter.ast';
import { parseIpv4, parseIpv6 } from './filter.addr';
import { checkField } from './filter.compiler';

export interface SqlWhere {
  /** A boolean SQL expression with `?` placeholders. */
  readonly sql: string;
  /** The placeholder values, in order. */
  readonly params: (string | number)[];
}

const SQL_OP: Record<CmpOp, string> = {
  eq: '=',
  ne: '<>',
  lt: '<',
  le: '<=',
  gt: '>',
  ge: '>=',
};
const MAC_RE = '^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$';
const V4_RE = '^[0-9]{1,3}([.][0-9]{1,3}){3}$';

export function filterToSql(ast: FilterAst | FilterNode): SqlWhere {
  const params: (string | number)[] = [];
  const root = 'root' in ast ? ast.root : ast;
  return { sql: node(root, params), params };
}

function node(n: FilterNode, p: (string | number)[]): string {
  switch (n.type) {
    case 'all':
      return 'TRUE';
    case 'and':
      return `(${node(n.left, p)} AND ${node(n.right, p)})`;
    case 'or':
      return `(${node(n.left, p)} OR ${node(n.right, p)})`;
    case 'not':
      return `(NOT ${node(n.expr, p)})`;
    default:
      return `COALESCE(${leaf(n, p)}, FALSE)`;
  }
}

function leaf(n: FilterNode, p: (string | number)[]): string {
  switch (n.type) {
    case 'cmp':
      p.push(n.value);
      return `${column(n.field)} ${SQL_OP[n.op]} ?`;
    case 'range':
      p.push(n.lo, n.hi);
      return `${column(n.field)} BETWEEN ? AND ?`;
    case 'in':
      p.push(...n.values);
      return `${column(n.field)} IN (${n.values.map(() => '?').join(', ')})`;
    case 'flag':
      p.push(n.letter);
      return `contains(${column(n.field)}, ?)`;
    case 'family':
      if (n.version === 4) {
        p.push('%.%', '%:%');
        return `("saddr" LIKE ? AND "saddr" NOT LIKE ?)`;
      }
      p.push('%:%', MAC_RE);
      return `("saddr" LIKE ? AND NOT regexp_full_match("saddr", ?))`;
    case 'net':
      return n.family === 4 ? net4(n.field, n.net, n.prefix, p) : net6(n.field, n.net, n.prefix, p);
    default:
      throw new Error(`filter: cannot translate node ${(n as FilterNode).type}`);
  }
}

function column(field: string): string {
  checkField(field);
  if (field === 'srate' || field === 'drate' || field === 'sload' || field === 'dload') {
    const s = field[0];
    const pk = `"${s}pkts"`;
    const value = field.endsWith('rate') ? `(${pk} - 1) / "dur"` : `"${s}bytes" * (${pk} - 1) / ${pk} * 8 / "dur"`;
    return `(CASE WHEN "dur" > 0 AND ${pk} > 1 THEN ${value} ELSE 0 END)`;
  }
  return `"${field}"`;
}

function net4(field: string, net: string, prefix: number, p: (string | number)[]): string {
  const lo = parseIpv4(net);
  if (lo < 0 || !(prefix >= 0 && prefix <= 32)) throw new Error(`filter: bad IPv4 network ${net}/${prefix}`);
  const c = column(field);
  const octet = (i: number, w: number): string => `TRY_CAST(split_part(${c}, '.', ${i}) AS BIGINT) * ${w}`;
  p.push(V4_RE, lo, lo + 2 ** (32 - prefix) - 1);
  return (
    `(regexp_full_match(${c}, ?) AND ` +
    `${octet(1, 16777216)} + ${octet(2, 65536)} + ${octet(3, 256)} + ${octet(4, 1)} BETWEEN ? AND ?)`
  );
}

/** The 32 lowercase hex digits of an IPv6 text column, expanding "::". */
export function hex6(c: string): string {
  const left = `split_part(${c}, '::', 1)`;
  const right = `split_part(${c}, '::', 2)`;
  const parts = (s: string): string => `(CASE WHEN ${s} = '' THEN []::VARCHAR[] ELSE string_split(${s}, ':') END)`;
  const groups =
    `(CASE WHEN contains(${c}, '::') THEN list_concat(${parts(left)}, ` +
    `list_transform(range(8 - len(${parts(left)}) - len(${parts(right)})), lambda i: '0'), ${parts(right)}) ` +
    `ELSE string_split(${c}, ':') END)`;
  return `array_to_string(list_transform(${groups}, lambda g: lpad(lower(g), 4, '0')), '')`;
}

function net6(field: string, net: string, prefix: number, p: (string | number)[]): string {
  const g = parseIpv6(net);
  if (!g || !(prefix >= 0 && prefix <= 128)) throw new Error(`filter: bad IPv6 network ${net}/${prefix}`);
  const c = column(field);
  const hex = g.map((x) => x.toString(16).padStart(4, '0')).join('');
  const whole = Math.floor(prefix / 4);
  const rest = prefix % 4;
  p.push('%:%', MAC_RE, hex.slice(0, whole));
  let sql = `(${c} LIKE ? AND NOT regexp_full_match(${c}, ?) AND starts_with(${hex6(c)}, ?)`;
  if (rest > 0) {
    // The partial nibble: its top `rest` bits fixed, the others free.
    const nib = parseInt(hex[whole], 16);
    const span = 2 ** (4 - rest);
    const lo = nib - (nib % span);
    p.push(lo.toString(16), (lo + span - 1).toString(16));
    sql += ` AND substr(${hex6(c)}, ${whole + 1}, 1) BETWEEN ? AND ?`;
  }
  return sql + ')';
}
