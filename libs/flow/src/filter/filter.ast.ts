/**
 * The filter syntax tree. The parser reduces every ra primitive (with its
 * src/dst qualifiers, protocol prefix and "most recent keyword" shorthand) to
 * a handful of leaf kinds, so the JavaScript compiler and the SQL translation
 * each handle only these leaves and cannot disagree on a primitive's meaning.
 */

export type CmpOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

/**
 * Fields computed from others, with Argus's formulas (ra -s srate, sload):
 * rate = (pkts - 1) / dur and load = bytes * (pkts - 1) / pkts * 8 / dur bits/s,
 * both 0 when dur is 0 or there is at most one packet.
 */
export type DerivedField = 'srate' | 'drate' | 'sload' | 'dload';

export const DERIVED_FIELDS: readonly DerivedField[] = ['srate', 'drate', 'sload', 'dload'];

export type FilterNode =
  /** The empty expression: every record matches. */
  | { readonly type: 'all' }
  | {
      readonly type: 'and' | 'or';
      readonly left: FilterNode;
      readonly right: FilterNode;
    }
  | { readonly type: 'not'; readonly expr: FilterNode }
  /** field op value; false when the field is absent or null. */
  | {
      readonly type: 'cmp';
      readonly field: string;
      readonly op: CmpOp;
      readonly value: number | string;
    }
  /** lo <= field <= hi (port ranges); false when absent. */
  | {
      readonly type: 'range';
      readonly field: string;
      readonly lo: number;
      readonly hi: number;
    }
  /** field equals one of the strings (protocol names and numbers, state words). */
  | {
      readonly type: 'in';
      readonly field: string;
      readonly values: readonly string[];
    }
  /** An address field inside a CIDR; `net` is the masked network address text. */
  | {
      readonly type: 'net';
      readonly field: string;
      readonly family: 4 | 6;
      readonly net: string;
      readonly prefix: number;
    }
  /** A flags field (stcpflgs, dtcpflgs, flgs) contains the letter. */
  | { readonly type: 'flag'; readonly field: string; readonly letter: string }
  /** The record's addresses are IPv4 or IPv6 (by saddr's form). */
  | { readonly type: 'family'; readonly version: 4 | 6 };

/** A parsed filter: the tree and the text it came from. */
export interface FilterAst {
  readonly expression: string;
  readonly root: FilterNode;
}
