/**
 * The ra filter language over flow records: one compiler for every plugin's
 * `filter` option, the CLI and the REST API.
 *
 * Grammar (words are case-insensitive; field names are the catalogue's):
 *
 *   expr      := unary (("and" | "&&" | "or" | "||") unary)*
 *   unary     := ("not" | "!") unary | "(" expr ")" | primitive
 *   primitive := [proto] [dir] type value          host 10.0.0.1, src net 10.0.0.0/8, tcp dst port 443
 *              | [dir] family [op] number           bytes gt 1000, src pkts lt 3, dst ttl eq 57
 *              | field [op] value                   dur ge 10, sbytes > 1000, state FIN, sco eq US
 *              | proto | "proto" name-or-number     tcp, udp, icmp, ipv6-icmp, arp, proto 6, ip, ipv4, ipv6
 *              | [dir] tcp-flag | state-word        syn synack fin finack reset ecn retrans outoforder
 *                                                   winshut; con est timeout echo unreach redirect timexed
 *              | "multicast" | "broadcast"
 *              | value                              the most recent qualifiers again, or host
 *   dir       := src | dst | src or dst | src and dst
 *   type      := host | net | port | ether (host|src|dst) | srcid | family
 *   family    := pkts bytes appbytes ttl tos rate load loss win jit intpkt meansz co as vid mid
 *   op        := gt gte ge lt lte le eq ne | > >= < <= = == !=      (eq when left out)
 *
 * Meaning, as ra gives it:
 * - `and` and `or` have EQUAL precedence and associate left to right, as in
 *   ra and tcpdump: `tcp or udp and port 53` is `(tcp or udp) and port 53`.
 *   Use parentheses. `not` binds tightest.
 * - Without src or dst, a primitive that exists on both sides holds when it
 *   holds on EITHER side: `host X` is saddr or daddr; `bytes gt 1000` is
 *   `sbytes > 1000 or dbytes > 1000` (not their sum); `ttl lt 60` is true when
 *   either TTL is below 60. `src and dst bytes gt 1000` needs both.
 * - A comparison on a field a record does not have (null or absent: dttl of
 *   a one-way flow, sport of ICMP) is false, and `not` of it is true.
 * - `port` takes a number, a range (53-100) or a service name from a built-in
 *   table; `net` takes CIDR (v4 or v6); `host` takes an address (names are
 *   not resolved: compiling does no I/O).
 * - rate and load are Argus's: (pkts-1)/dur packets/s and bytes*(pkts-1)/pkts*8/dur bits/s.
 * - Where Panoptes differs from ra 3.0.8 (checked on argus records of a
 *   gen-pcap capture, every other primitive above selecting the same records):
 *   `ttl` and `tos` also match IPv6 records (the fields hold the hop limit and
 *   traffic class), where ra matches IPv4 only; and a side with no packets has
 *   no TTL, so `dst ttl lt 60` is false for a one-way flow, where ra compares 0.
 * - Compiled predicates cost about 10 ns a record for port/protocol tests and
 *   about 100 ns with a CIDR test (the address text is parsed), on one core.
 * - Panoptes additions: any catalogue field can be compared by name
 *   (`dur ge 10`, `sco eq US`, `dname eq "www.example.com"`); `state WORD`
 *   compares the Argus state (REQ CON FIN RST ...); `ge`/`le` are accepted
 *   beside ra's `gte`/`lte`, and symbolic operators beside the words.
 */
import { FlowRecord } from '../flow.catalogue';
import { FilterAst } from './filter.ast';
import { compileNode, FlowPredicate } from './filter.compiler';
import { parseFilter } from './filter.parser';

export type { CmpOp, FilterAst, FilterNode } from './filter.ast';
export { FilterError } from './filter.lexer';
export type { FlowPredicate } from './filter.compiler';
export { parseFilter } from './filter.parser';
export { filterToSql, hex6 as ipv6HexSql, type SqlWhere } from './filter.sql';
export { PROTO_BY_NUMBER } from './filter.words';
export { formatIpv4, formatIpv6, ipVersion, maskIpv4, maskIpv6, parseIpv4, parseIpv6 } from './filter.addr';

/** A compiled filter: the predicate and the tree it came from. */
export interface CompiledFilter {
  readonly ast: FilterAst;
  readonly test: FlowPredicate;
}

/**
 * Parses and compiles an ra filter expression into a predicate over flow
 * records. An empty or blank expression matches everything. A malformed one
 * throws FilterError with the reason, the token and its 1-based column.
 */
export function compileFilter(expression: string): FlowPredicate {
  return compileNode(parseFilter(expression).root);
}

/** Like compileFilter, keeping the tree (for filterToSql or display). */
export function compileFilterWithAst(expression: string): CompiledFilter {
  const ast = parseFilter(expression);
  return { ast, test: compileNode(ast.root) };
}

/** True when the record passes the expression; convenient in tests and one-off checks, slow in loops. */
export function matchesFilter(expression: string, record: FlowRecord): boolean {
  return compileFilter(expression)(record);
}
