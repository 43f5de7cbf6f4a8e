/**
 * Tokens of the ra filter language. Words are runs of anything that is not
 * blank, a parenthesis, a quote or an operator character, so addresses
 * (10.0.0.0/8, 2001:db8::/32, 02:00:00:00:00:01), port ranges (53-100) and
 * protocol names (ipv6-icmp) are single words.
 */

export type TokenKind = 'word' | 'string' | 'lparen' | 'rparen' | 'and' | 'or' | 'not' | 'op' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** The text as written (for a string: without its quotes). */
  readonly text: string;
  /** 1-based column of the token's first character. */
  readonly column: number;
}

/** A malformed filter expression: what is wrong, the offending token and its 1-based column. */
export class FilterError extends Error {
  constructor(
    readonly reason: string,
    readonly token: string,
    readonly column: number,
    readonly expression: string,
  ) {
    super(`filter: ${reason} at column ${column}${token ? ` ("${token}")` : ''}`);
    this.name = 'FilterError';
  }
}

const WORD_STOP = new Set([' ', '\t', '\n', '\r', '(', ')', '"', "'", '!', '&', '|', '<', '>', '=']);

export function tokenize(expr: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = expr.length;
  while (i < n) {
    const c = expr[i];
    const column = i + 1;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ kind: c === '(' ? 'lparen' : 'rparen', text: c, column });
      i++;
    } else if (c === '"' || c === "'") {
      const close = expr.indexOf(c, i + 1);
      if (close < 0) throw new FilterError('unterminated string', expr.slice(i), column, expr);
      out.push({ kind: 'string', text: expr.slice(i + 1, close), column });
      i = close + 1;
    } else if (c === '&' || c === '|') {
      if (expr[i + 1] !== c) throw new FilterError(`expected "${c}${c}"`, c, column, expr);
      out.push({ kind: c === '&' ? 'and' : 'or', text: c + c, column });
      i += 2;
    } else if (c === '!' || c === '<' || c === '>' || c === '=') {
      const two = expr.slice(i, i + 2);
      if (two === '!=' || two === '<=' || two === '>=' || two === '==') {
        out.push({ kind: 'op', text: two, column });
        i += 2;
      } else if (c === '!') {
        out.push({ kind: 'not', text: c, column });
        i++;
      } else {
        out.push({ kind: 'op', text: c, column });
        i++;
      }
    } else {
      let j = i;
      while (j < n && !WORD_STOP.has(expr[j])) j++;
      const text = expr.slice(i, j);
      const lower = text.toLowerCase();
      const kind: TokenKind = lower === 'and' ? 'and' : lower === 'or' ? 'or' : lower === 'not' ? 'not' : 'word';
      out.push({ kind, text, column });
      i = j;
    }
  }
  out.push({ kind: 'end', text: '', column: n + 1 });
  return out;
}
