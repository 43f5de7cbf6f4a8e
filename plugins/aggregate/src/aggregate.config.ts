import {
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  Max,
  Min,
  Validate,
  ValidationArguments,
  ValidatorConstraint,
  ValidatorConstraintInterface,
} from 'class-validator';
import { FIELD_BY_NAME } from '@panoptes/flow';
import { parseKeys } from './aggregate.keys';
import { TopBy } from './aggregate.aggregator';

@ValidatorConstraint({ name: 'keySpecs' })
class KeySpecs implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return keyProblem(value) === undefined;
  }
  defaultMessage(args: ValidationArguments): string {
    return keyProblem(args.value) ?? 'bad keys';
  }
}

function keyProblem(value: unknown): string | undefined {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return 'expected a list of key specs';
  try {
    parseKeys(value);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

@ValidatorConstraint({ name: 'catalogueFields' })
class CatalogueFields implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return Array.isArray(value) && value.every((v) => typeof v === 'string' && FIELD_BY_NAME.has(v));
  }
  defaultMessage(args: ValidationArguments): string {
    const bad = (Array.isArray(args.value) ? args.value : []).filter((v) => !FIELD_BY_NAME.has(String(v)));
    return `expected flow field names, unknown: ${bad.join(', ')}`;
  }
}

export class AggregateConfig {
  /**
   * Group keys, racluster's -m objects: field names, address masks
   * (saddr/24, saddr/24/64), numeric buckets (dport/1024) or ranges
   * (dport[0-1023,1024-49151,49152-]). A port key implies proto.
   */
  @IsOptional()
  @Validate(KeySpecs)
  keys: string[] = ['proto', 'saddr', 'sport', 'daddr', 'dport'];

  /** Tumbling event-time window length in seconds; 0 keeps one window for all input (flushed at stop). */
  @IsOptional()
  @IsInt()
  @Min(0)
  binSec = 60;

  /** How far (event time, seconds) a record may trail the newest stime seen and still be merged; later ones go to the late topic. */
  @IsOptional()
  @IsInt()
  @Min(0)
  allowedLatenessSec = 30;

  /** Groups kept per open window; records of further keys go to the window's "other" group and are counted. */
  @IsOptional()
  @IsInt()
  @Min(1)
  maxGroups = 100_000;

  /** Fields whose distinct values are counted per group (HyperLogLog), e.g. [daddr, dport]. */
  @IsOptional()
  @IsArray()
  @Validate(CatalogueFields)
  distinct: string[] = [];

  /** Emit only this many groups per window, the largest by topBy, the rest folded into "other"; 0 emits all. */
  @IsOptional()
  @IsInt()
  @Min(0)
  topN = 0;

  /** What topN ranks groups by. */
  @IsOptional()
  @IsIn(['bytes', 'pkts', 'trans', 'flows'])
  topBy: TopBy = 'bytes';

  /** HyperLogLog precision: 2^p registers, standard error about 1.04/sqrt(2^p) (12: 1.6%). */
  @IsOptional()
  @IsInt()
  @Min(4)
  @Max(16)
  hllPrecision = 12;
}
