import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Reader } from 'maxmind';
import { Ipv4Tree } from './geoip.tree';
import { parseIpv4 } from '@panoptes/flow';

const FIX = resolve(__dirname, '../../../test/fixtures/mmdb');
const TEST_DATA = resolve(__dirname, '../../../../shared/data/mmdb/maxmind-test-data/test-data');

/** The reader's own walk: its data pointer for an address, 0 for none. */
const readerPointer = (r: Reader<never>, addr: string): number =>
  ((r as unknown as { findAddressInTree(a: string): [number | null, number] }).findAddressInTree(addr)[0] ??
    0) as number;

describe('Ipv4Tree', () => {
  // The repository's fixtures; with the shared MaxMind test data, also record
  // sizes 24, 28 and 32, IPv4-only, IPv6 and mixed trees, one with no IPv4 subtree.
  const corpus = [
    'MaxMind-DB-test-ipv4-24.mmdb',
    'MaxMind-DB-test-ipv4-28.mmdb',
    'MaxMind-DB-test-ipv4-32.mmdb',
    'MaxMind-DB-test-ipv6-24.mmdb',
    'MaxMind-DB-test-ipv6-32.mmdb',
    'MaxMind-DB-test-mixed-24.mmdb',
    'MaxMind-DB-test-mixed-28.mmdb',
    'MaxMind-DB-test-mixed-32.mmdb',
    'MaxMind-DB-no-ipv4-search-tree.mmdb',
  ];
  if (!existsSync(TEST_DATA))
    console.log(`Ipv4Tree: the MaxMind test-data corpus is absent (${TEST_DATA}); fixtures only`);
  const files = [
    ...['GeoIP2-City-Test.mmdb', 'GeoIP2-Country-Test.mmdb', 'GeoLite2-ASN-Test.mmdb', 'GeoIP2-ISP-Test.mmdb'].map(
      (f) => resolve(FIX, f),
    ),
    ...(existsSync(TEST_DATA) ? corpus.map((f) => resolve(TEST_DATA, f)) : []),
  ];

  it.each(files.map((f) => [basename(f), f]))(
    'finds the record the reader finds, for every address tried (%s)',
    (_name, file) => {
      const buf = readFileSync(file);
      const reader = new Reader<never>(buf);
      const tree = new Ipv4Tree(buf, reader.metadata);
      // Every /8 and /16 start, the ends of the space, and a spread of addresses.
      const addrs = ['0.0.0.0', '255.255.255.255', '1.1.1.1', '1.1.1.3', '1.1.1.32', '2.125.160.216', '81.2.69.160'];
      for (let a = 0; a < 256; a++)
        addrs.push(`${a}.0.0.0`, `${a}.${(a * 7) % 256}.${(a * 13) % 256}.${(a * 31) % 256}`);
      for (let i = 0; i < 4096; i++) {
        const v = (Math.imul(i, 0x9e3779b1) >>> 0).toString(16).padStart(8, '0');
        addrs.push([0, 2, 4, 6].map((k) => parseInt(v.slice(k, k + 2), 16)).join('.'));
      }
      let found = 0;
      for (const addr of addrs) {
        const want = readerPointer(reader, addr);
        expect([addr, tree.find(parseIpv4(addr))]).toEqual([addr, want]);
        if (want) found++;
      }
      // The IPv6-only files hold no IPv4 data; the others must have matched somewhere.
      if (!/ipv6-|no-ipv4/.test(basename(file))) expect(found).toBeGreaterThan(0);
    },
  );
});
