import { IsBoolean, IsInt, IsNotEmpty, IsOptional, IsString, Max, Min } from 'class-validator';

export class ZeekIngestConfig {
  /** A Zeek log file (TSV or JSON lines), or a directory whose conn*, open_conn* and dns* .log/.json/.jsonl files are read. */
  @IsString()
  @IsNotEmpty()
  path!: string;

  /** Keep reading as the file (or the directory's logs) grow, like tail -F; the source then never ends. */
  @IsOptional()
  @IsBoolean()
  follow = false;

  /** How often a followed file or directory is checked for new data. */
  @IsOptional()
  @IsInt()
  @Min(10)
  @Max(60_000)
  pollIntervalMs = 500;

  /** Value of the sid field (the input's name) on every record. */
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  sid = 'zeek';

  /** Records per emitted batch. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  batchSize = 1000;
}
