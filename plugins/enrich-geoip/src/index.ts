import { ConfigIssue, definePlugin } from '@panoptes/plugin-sdk';
import { DB_ROLES, GeoipConfig } from './geoip.config';
import { GeoDatabase } from './geoip.database';
import { GeoipEnricher, LABEL_KEYS } from './geoip.enricher';

/**
 * Opens and fully checks every database named, so a missing or corrupt file
 * is a config error at start (`panoptes run --check` too), never a failure in
 * the middle of a stream.
 */
async function preflight(c: GeoipConfig): Promise<ConfigIssue[]> {
  const named = DB_ROLES.filter((r) => c[r]);
  if (named.length === 0) {
    return [
      { path: 'cityDb', message: 'no database configured: name at least one of cityDb, countryDb, asnDb, ispDb' },
    ];
  }
  const issues: ConfigIssue[] = [];
  for (const role of named) {
    try {
      await GeoDatabase.open(role, c[role]!, c.language);
    } catch (err) {
      issues.push({ path: role, message: (err as Error).message });
    }
  }
  return issues;
}

export const enrichGeoipPlugin = definePlugin({
  id: 'enrich-geoip',
  kind: 'transform',
  description: 'adds country, city, location and AS of both flow sides from MaxMind DB files',
  inputs: { flows: 'flows.raw' },
  outputs: { flows: 'flows.geo' },
  config: GeoipConfig,
  // It reads two address fields and appends labels: text records need no parse,
  // unless they hold labels already (labelled again in place, as objects).
  textInput: () => ({ parseIfKeys: LABEL_KEYS }),
  // A batch reads the database generation once and awaits only its emit.
  concurrentHandle: true,
  preflight,
  create: (config, ctx) => new GeoipEnricher(config, ctx),
});

export { GeoipConfig, GeoipEnricher, GeoDatabase };
export { specialLabel } from './special.ranges';
export { verifyMmdb } from './mmdb.verify';
