import { IsInt, IsNotEmpty, IsOptional, IsString, Max, Min } from 'class-validator';

export class StoreSinkConfig {
  /** DuckDB database file of the flow store (created with its folder when missing); the REST API reads the same file. */
  @IsString()
  @IsNotEmpty()
  path!: string;

  /** Delete what was stored more than this many days ago; 0 keeps everything. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(36500)
  retentionDays = 0;

  /** Delete the oldest stored data while the database uses more than this many MiB; 0 means no limit. */
  @IsOptional()
  @IsInt()
  @Min(0)
  maxSizeMb = 0;

  /** How often retention runs, in seconds. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(86400)
  retentionCheckSec = 60;

  /** Most records stored in one transaction; bigger batches from the bus are split. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  batchRecords = 50_000;

  /** DuckDB worker threads; 0 lets DuckDB pick (one per core). Read when the store is first opened. */
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(256)
  threads = 0;

  /** DuckDB memory limit in MiB; 0 lets DuckDB pick (80% of RAM). Read when the store is first opened. */
  @IsOptional()
  @IsInt()
  @Min(0)
  memoryLimitMb = 0;
}
