import { IsArray, IsBoolean, IsIn, IsInt, IsNotEmpty, IsOptional, IsString, Min } from 'class-validator';

export class FileSinkConfig {
  /** File to write; `-` writes standard output. */
  @IsString()
  @IsNotEmpty()
  path!: string;

  /** json: one JSON object per line; csv: a header line, then one row per record. */
  @IsOptional()
  @IsIn(['json', 'csv'])
  format: 'json' | 'csv' = 'json';

  /** Fields to write, in this order; all catalogue fields when empty. */
  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  fields: string[] = [];

  /** Start a new file when the current one reaches this size; 0 never. */
  @IsOptional()
  @IsInt()
  @Min(0)
  rotateBytes = 0;

  /** Start a new file when the current one is this old; 0 never. */
  @IsOptional()
  @IsInt()
  @Min(0)
  rotateSec = 0;

  /** Append to an existing file instead of replacing it. */
  @IsOptional()
  @IsBoolean()
  append = false;
}
