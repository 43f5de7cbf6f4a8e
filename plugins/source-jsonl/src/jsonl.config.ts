import { IsBoolean, IsInt, IsNotEmpty, IsOptional, IsString, Max, Min } from 'class-validator';

export class JsonlSourceConfig {
  /** JSON-lines file of flow records to replay; `-` reads standard input. */
  @IsString()
  @IsNotEmpty()
  path!: string;

  /** Records per emitted batch. */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  batchSize = 1000;

  /** Check every record against the field catalogue; off trusts the file (faster). */
  @IsOptional()
  @IsBoolean()
  validate = true;
}
