import { Type } from 'class-transformer';
import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

/** API keys by role; each entry is a key or `env:NAME`. */
export class ApiKeysConfig {
  /** Keys that may read flows and status. */
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  read: string[] = [];

  /** Keys that may also manage plugins. */
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  admin: string[] = [];
}

export class ApiConfig {
  /** Serve the REST API at all. */
  @IsOptional()
  @IsBoolean()
  enabled = true;

  /** host:port to listen on; port 0 picks a free one. */
  @IsOptional()
  @Matches(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { message: 'listen must be host:port' })
  listen = '127.0.0.1:8080';

  @IsOptional()
  @ValidateNested()
  @Type(() => ApiKeysConfig)
  keys: ApiKeysConfig = new ApiKeysConfig();

  /** Serve /metrics without a key, for a Prometheus scraper on a trusted network. */
  @IsOptional()
  @IsBoolean()
  publicMetrics = false;

  /** Requests per second each client (API key, or address without one) may make on average. */
  @IsOptional()
  @IsInt()
  @Min(1)
  rateLimitPerSec = 50;

  /** Requests a client may make at once above the average before it is answered 429. */
  @IsOptional()
  @IsInt()
  @Min(1)
  rateLimitBurst = 200;

  /** Largest request body accepted, in bytes (413 above). */
  @IsOptional()
  @IsInt()
  @Min(1024)
  @Max(16 * 1024 * 1024)
  maxBodyBytes = 65536;
}

/** The bus section; `type` picks the transport, the other keys belong to it. */
export class BusSection {
  @IsIn(['embedded', 'kafka'])
  type: 'embedded' | 'kafka' = 'embedded';
}

/** One plugin instance in `plugins:`. */
export class PluginEntry {
  /** Instance id, unique in the file. */
  @IsString()
  @Matches(/^[a-z][a-z0-9_-]*$/, { message: 'id must be lowercase letters, digits, - or _, starting with a letter' })
  id!: string;

  /** Which plugin (its folder name under plugins/). */
  @IsString()
  @IsNotEmpty()
  use!: string;

  /** Main input topic (short for inputs: {<first port>: topic}). */
  @IsOptional()
  @IsString()
  input?: string;

  @IsOptional()
  @IsObject()
  inputs?: Record<string, string>;

  /** Main output topic (short for outputs: {<first port>: topic}). */
  @IsOptional()
  @IsString()
  output?: string;

  @IsOptional()
  @IsObject()
  outputs?: Record<string, string>;

  /** An ra filter expression applied to records before the plugin sees them. */
  @IsOptional()
  @IsString()
  filter?: string;

  /** Start this instance with the host. */
  @IsOptional()
  @IsBoolean()
  enabled = true;

  /** The plugin's own config, validated by its config class. */
  @IsOptional()
  @IsObject()
  with?: Record<string, unknown>;
}

export class PanoptesConfig {
  @IsOptional()
  @IsObject()
  bus: Record<string, unknown> = { type: 'embedded' };

  @IsOptional()
  @ValidateNested()
  @Type(() => ApiConfig)
  api: ApiConfig = new ApiConfig();

  @IsArray()
  plugins!: unknown[];
}
