import { IsBoolean, IsInt, IsNotEmpty, IsOptional, IsString, Max, Min } from 'class-validator';

/**
 * Databases are named by role; any combination works. Where two name the same
 * field the first in the order city, country, asn, isp wins. GeoIP2/GeoLite2
 * and DB-IP files in MaxMind's schema work, and so do the flat ip-location-db
 * files (`country_code`, `city`, `latitude`, `longitude`).
 */
export class GeoipConfig {
  /** City database (GeoLite2-City, GeoIP2-City, DB-IP City Lite): country, city, latitude, longitude. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  cityDb?: string;

  /** Country database (GeoLite2-Country, GeoIP2-Country, DB-IP Country Lite): country. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  countryDb?: string;

  /** ASN database (GeoLite2-ASN, DB-IP ASN Lite): AS number and organisation. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  asnDb?: string;

  /** ISP database (GeoIP2-ISP): AS number and organisation where it has them. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  ispDb?: string;

  /** Addresses whose lookup results are kept in memory; 0 turns the cache off. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000_000)
  cacheSize = 100_000;

  /** How often the database files are checked for a replacement, in seconds; 0 never. */
  @IsOptional()
  @IsInt()
  @Min(0)
  reloadCheckSec = 60;

  /** Language of city names: a key of the database's `names` maps. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  language = 'en';

  /** Label private, loopback, link-local, multicast and documentation addresses in snet/dnet instead of looking them up. */
  @IsOptional()
  @IsBoolean()
  labelSpecial = true;
}

export const DB_ROLES = ['cityDb', 'countryDb', 'asnDb', 'ispDb'] as const;
export type DbRole = (typeof DB_ROLES)[number];
