import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsIP,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
} from 'class-validator';

export class DnsEnrichConfig {
  /** Seconds an answer keeps labelling after its TTL ran out (clients keep using addresses past the TTL). */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(86_400)
  ttlGraceSec = 300;

  /** Most (client, address) pairs the passive DNS table holds; the least recently answered go first. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50_000_000)
  maxEntries = 1_000_000;

  /** DNS servers allowed to answer; an answer from any other raises a rogue-DNS alert. Empty: no alerts. */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10_000)
  @IsIP(undefined, { each: true })
  allowedServers: string[] = [];

  /**
   * Longest a batch of flows waits, in milliseconds, for the DNS input to
   * catch up with the flows' start times (the two inputs are separate topics,
   * so an answer can arrive just after the flow it names). 0 never waits.
   */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(10_000)
  alignWaitMs = 250;

  /** Look up reverse DNS (PTR) names for addresses the passive table has no name for; asynchronous, never blocking. */
  @IsOptional()
  @IsBoolean()
  ptrLookups = false;

  /** Resolvers for PTR lookups (`addr` or `addr:port`); empty uses the system's. */
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  @Matches(/^(\[[0-9a-fA-F:.]+\]|[0-9.]+|[0-9a-fA-F:]+)(:\d{1,5})?$/, {
    each: true,
    message: 'each value in ptrServers must be an address or address:port',
  })
  ptrServers: string[] = [];

  /** PTR results (names and failures) kept in memory. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  ptrCacheSize = 100_000;

  /** Seconds a PTR result is kept before it is looked up again. */
  @IsOptional()
  @IsInt()
  @Min(1)
  ptrCacheSec = 3600;

  /** Milliseconds before one PTR lookup is given up. */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(60_000)
  ptrTimeoutMs = 2000;

  /** Most PTR lookups in flight at once; further misses wait for a later flow. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000)
  ptrMaxInFlight = 32;
}
