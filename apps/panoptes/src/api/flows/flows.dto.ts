import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { FIELD_NAMES } from '@panoptes/flow';
import { ToBool, ToEpoch, ToInt, ToList } from '../common/validation';

const TIME_MESSAGE = (name: string) =>
  `${name} must be a time: epoch seconds (1700000000.5) or ISO 8601 (2023-11-14T22:13:20Z)`;
const FIELDS_MESSAGE = 'fields must be catalogue field names separated by commas (see GET /api/v1/flows/fields)';

/** What every flow query shares: the filter, the time range, and raw records or merged flows. */
export class FlowScopeDto {
  @ApiPropertyOptional({
    description: 'ra filter expression (compiled, never pasted into SQL)',
    example: 'tcp and dst port 443',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  filter?: string;

  @ApiPropertyOptional({
    description: 'flows that end at or after this time: epoch seconds or ISO 8601',
    example: '2023-11-14T22:13:20Z',
  })
  @IsOptional()
  @ToEpoch()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: TIME_MESSAGE('from') })
  from?: number;

  @ApiPropertyOptional({
    description: 'flows that start before this time: epoch seconds or ISO 8601',
    example: 1700003600,
  })
  @IsOptional()
  @ToEpoch()
  @IsNumber({ allowNaN: false, allowInfinity: false }, { message: TIME_MESSAGE('to') })
  to?: number;

  @ApiPropertyOptional({
    description:
      "raw records, one per uid and seq (counters are deltas), instead of merged flows (a flow's records summed, counted once)",
    default: false,
  })
  @IsOptional()
  @ToBool()
  @IsBoolean({ message: 'records must be true or false' })
  records?: boolean;
}

export class ListFlowsDto extends FlowScopeDto {
  @ApiPropertyOptional({
    description: 'fields to return, comma-separated; all when absent',
    example: 'stime,saddr,daddr,dport,sbytes,dbytes',
  })
  @IsOptional()
  @ToList()
  @ArrayMaxSize(FIELD_NAMES.length, { message: FIELDS_MESSAGE })
  @IsIn(FIELD_NAMES as string[], { each: true, message: FIELDS_MESSAGE })
  fields?: string[];

  @ApiPropertyOptional({
    description: 'one field to order by; "-" in front for descending. Ties are broken by uid (then seq)',
    example: '-stime',
    default: 'stime',
  })
  @IsOptional()
  @IsString()
  @Matches(new RegExp(`^-?(${FIELD_NAMES.join('|')})$`), {
    message: 'sort must be a catalogue field name, with "-" in front for descending',
  })
  sort?: string;

  @ApiPropertyOptional({ description: 'page size', minimum: 1, maximum: 10000, default: 100 })
  @IsOptional()
  @ToInt()
  @IsInt({ message: 'limit must be a whole number' })
  @Min(1)
  @Max(10000)
  limit?: number;

  @ApiPropertyOptional({ description: 'the `next` value of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor must be the `next` value of a previous page, unchanged' })
  cursor?: string;
}

export class AggregateFlowsDto extends FlowScopeDto {
  @ApiPropertyOptional({
    description: 'group keys, comma-separated: field names; address fields take a prefix length (saddr/24, daddr/64)',
    example: 'saddr/24,dport',
  })
  @IsOptional()
  @ToList()
  @ArrayMaxSize(8, { message: 'by takes at most 8 keys' })
  @Matches(/^[a-z]+(\/\d{1,3})?$/, {
    each: true,
    message: 'by must be field names, optionally /prefix for addresses, separated by commas',
  })
  by?: string[];

  @ApiPropertyOptional({
    description:
      'metrics, comma-separated: count, bytes, pkts, appbytes, or a counter field (sbytes, dpkts, ...). The first ranks the groups',
    example: 'bytes,pkts,count',
    default: 'bytes,pkts,count',
  })
  @IsOptional()
  @ToList()
  @ArrayMaxSize(16, { message: 'metrics takes at most 16 names' })
  @IsString({ each: true })
  metrics?: string[];

  @ApiPropertyOptional({
    description: 'how many groups (the largest by the first metric)',
    minimum: 1,
    maximum: 10000,
    default: 20,
  })
  @IsOptional()
  @ToInt()
  @IsInt({ message: 'top must be a whole number' })
  @Min(1)
  @Max(10000)
  top?: number;

  @ApiPropertyOptional({
    description: 'time series bucket width in seconds (by stime); totals only when absent',
    minimum: 1,
    example: 60,
  })
  @IsOptional()
  @ToInt()
  @IsInt({ message: 'bin must be a whole number of seconds' })
  @Min(1)
  @Max(366 * 86400)
  bin?: number;
}

export class LiveFlowsDto {
  @ApiPropertyOptional({ description: 'ra filter expression applied to each new record', example: 'udp and port 53' })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  filter?: string;

  @ApiPropertyOptional({ description: 'fields to send, comma-separated; all when absent' })
  @IsOptional()
  @ToList()
  @ArrayMaxSize(FIELD_NAMES.length, { message: FIELDS_MESSAGE })
  @IsIn(FIELD_NAMES as string[], { each: true, message: FIELDS_MESSAGE })
  fields?: string[];
}
