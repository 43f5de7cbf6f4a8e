import { IsIn, IsInt, IsOptional, Max, Min } from 'class-validator';
import { Bus } from './bus';
import { EmbeddedBus } from './embedded.bus';
import { KafkaBus } from './kafka.bus';
import { KafkaBusConfig } from './kafka.config';

export class EmbeddedBusConfig {
  /** The in-process transport (the default). */
  @IsIn(['embedded'])
  type = 'embedded' as const;

  /** Records one subscriber may have queued before its publishers wait (back-pressure). */
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  queueRecords = 50_000;
}

export interface BusType<C extends object = object> {
  readonly config: new () => C;
  create(config: C): Bus;
}

/** Transports by `bus.type`. Adding one is one entry here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry has its own config class
export const BUS_TYPES: Record<string, BusType<any>> = {
  embedded: {
    config: EmbeddedBusConfig,
    create: (c: EmbeddedBusConfig) => new EmbeddedBus({ queueRecords: c.queueRecords }),
  } satisfies BusType<EmbeddedBusConfig>,
  kafka: {
    config: KafkaBusConfig,
    create: (c: KafkaBusConfig) => new KafkaBus(c),
  } satisfies BusType<KafkaBusConfig>,
};
