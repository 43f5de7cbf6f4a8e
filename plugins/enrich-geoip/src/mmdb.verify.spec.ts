import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { validateConfig } from '@panoptes/plugin-sdk';
import { enrichGeoipPlugin, GeoipConfig } from './index';
import { verifyMmdb } from './mmdb.verify';

const FIX = resolve(__dirname, '../../../test/fixtures/mmdb');
const MMDB = resolve(__dirname, '../../../../shared/data/mmdb/maxmind-test-data');

describe('verifyMmdb on the fixtures', () => {
  it.each(['GeoIP2-City-Test', 'GeoIP2-Country-Test', 'GeoLite2-ASN-Test', 'GeoIP2-ISP-Test'])(
    '%s checks out',
    (name) => {
      const info = verifyMmdb(readFileSync(join(FIX, `${name}.mmdb`)));
      expect(info.databaseType).toBe(name.replace('-Test', ''));
      expect(info.ipVersion).toBe(6);
      expect(info.records).toBeGreaterThan(10);
    },
  );

  it('names what is wrong with a damaged copy', () => {
    const good = readFileSync(join(FIX, 'GeoLite2-ASN-Test.mmdb'));
    const flipped = Buffer.from(good);
    flipped.fill(0xff, 0, 64); // root nodes now point far outside the file
    expect(() => verifyMmdb(flipped)).toThrow(/search tree node 0 points outside the data section/);
    expect(() => verifyMmdb(good.subarray(0, 100))).toThrow(/no MaxMind DB metadata marker/);
  });
});

const corpus = existsSync(MMDB) ? describe : describe.skip;
if (!existsSync(MMDB)) console.log(`skipping the MaxMind test-data corpus: ${MMDB} is absent`);

corpus('MaxMind test-data corpus (../shared/data/mmdb)', () => {
  const bad = ['libmaxminddb', 'maxminddb-golang', 'maxminddb-python'].flatMap((d) =>
    existsSync(join(MMDB, 'bad-data', d))
      ? readdirSync(join(MMDB, 'bad-data', d))
          .filter((f) => f.endsWith('.mmdb'))
          .map((f) => join(MMDB, 'bad-data', d, f))
      : [],
  );

  it('finds the bad-data files', () => {
    expect(bad.length).toBeGreaterThanOrEqual(20);
  });

  it.each(bad.map((p) => [p.slice(MMDB.length + 1), p]))(
    '%s is a clear start-up error for every role',
    async (_name, path) => {
      for (const role of ['cityDb', 'countryDb', 'asnDb', 'ispDb'] as const) {
        const config = validateConfig(GeoipConfig, { [role]: path }).value!;
        const issues = await enrichGeoipPlugin.preflight!(config);
        expect(issues).toHaveLength(1);
        expect(issues[0].path).toBe(role);
        expect(issues[0].message).toMatch(
          new RegExp(`^(not a valid MaxMind DB file: ${path}: .+|database "[^"]+" holds no [a-z ,]+ data: ${path})$`),
        );
      }
    },
  );

  it('every generated test database checks out', () => {
    const broken = new Set([
      'GeoIP2-City-Test-Broken-Double-Format.mmdb',
      'GeoIP2-City-Test-Invalid-Node-Count.mmdb',
      'MaxMind-DB-test-broken-pointers-24.mmdb',
      'MaxMind-DB-test-broken-search-tree-24.mmdb',
    ]);
    const files = readdirSync(join(MMDB, 'test-data')).filter((f) => f.endsWith('.mmdb'));
    const refused = files.filter((f) => {
      try {
        verifyMmdb(readFileSync(join(MMDB, 'test-data', f)));
        return false;
      } catch {
        return true;
      }
    });
    expect(refused.sort()).toEqual([...broken].sort());
  });
});
