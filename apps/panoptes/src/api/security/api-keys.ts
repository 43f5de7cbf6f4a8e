import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ApiKeysConfig } from '../../config/config.schema';

export type Role = 'read' | 'admin';

interface Key {
  readonly digest: Buffer;
  readonly role: Role;
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * The configured API keys. A presented key is compared with every
 * configured one in constant time (SHA-256 digests of equal length through
 * timingSafeEqual, and no early exit), so timing tells nothing about how
 * much of a key was right or which key matched.
 */
export class ApiKeys {
  private readonly keys: Key[] = [];
  /** Entries left out: `env:NAME` whose variable is unset, or empty strings. */
  readonly ignored: string[] = [];

  constructor(config: ApiKeysConfig) {
    const add = (list: string[] | undefined, role: Role): void => {
      for (const k of list ?? []) {
        if (!k || /^env:/.test(k))
          this.ignored.push(k ? `${role} key ${k} (variable not set)` : `an empty ${role} key`);
        else this.keys.push({ digest: digest(k), role });
      }
    };
    add(config.admin, 'admin');
    add(config.read, 'read');
  }

  /** Adds a random admin key (for a loopback-only host with none configured) and returns it. */
  generateAdmin(): string {
    const key = randomBytes(18).toString('base64url');
    this.keys.push({ digest: digest(key), role: 'admin' });
    return key;
  }

  get size(): number {
    return this.keys.length;
  }

  /** The role of a presented key, or undefined when it is none of ours. */
  roleOf(presented: string): Role | undefined {
    const d = digest(presented);
    let role: Role | undefined;
    for (const k of this.keys) {
      if (timingSafeEqual(d, k.digest) && role !== 'admin') role = k.role;
    }
    return role;
  }
}

/** The key of an `Authorization: Bearer <key>` header, or undefined. */
export function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}
