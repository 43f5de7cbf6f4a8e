import { BadRequestException, Injectable } from '@nestjs/common';
import { compileFilterWithAst, FIELD_BY_NAME, FilterError, filterToSql } from '@panoptes/flow';
import {
  aggregateSql,
  formatAddrKey,
  GroupKey,
  listPage,
  metricSql,
  SqlWhere,
  splitSortKey,
  TimeRange,
} from '@panoptes/store';
import { AggregateFlowsDto, FlowScopeDto, ListFlowsDto } from './flows.dto';
import { decodeCursor, encodeCursor, queryFingerprint } from './flows.cursor';
import { FlowStoreLocator } from './flow-store.locator';

export interface FlowPage {
  flows: Record<string, unknown>[];
  /** Cursor of the next page; null on the last page. */
  next: string | null;
}

export interface AggregateGroup {
  key: Record<string, unknown>;
  [metric: string]: unknown;
}

export interface AggregateResult {
  by: string[];
  metrics: string[];
  bin: number | null;
  records: boolean;
  groups: AggregateGroup[];
}

const DEFAULT_METRICS = ['bytes', 'pkts', 'count'];
/** Most (group, bucket) points one time-series answer may hold. */
const MAX_POINTS = 100_000;

/** Flow queries: validated parameters in, parameterised SQL to the store, JSON out. */
@Injectable()
export class FlowsService {
  constructor(private readonly locator: FlowStoreLocator) {}

  private scope(dto: FlowScopeDto): { where?: SqlWhere; range: TimeRange } {
    if (dto.from !== undefined && dto.to !== undefined && dto.from >= dto.to) {
      throw new BadRequestException(`from must be before to, found from=${dto.from} to=${dto.to}`);
    }
    // A FilterError (bad expression) becomes a 400 in ApiExceptionFilter; so does a value the SQL translation refuses.
    let where: SqlWhere | undefined;
    if (dto.filter?.trim()) {
      try {
        where = filterToSql(compileFilterWithAst(dto.filter).ast);
      } catch (err) {
        if (err instanceof FilterError) throw err;
        throw new BadRequestException(`filter: ${(err as Error).message.replace(/^filter: /, '')}`);
      }
    }
    return { where, range: { from: dto.from, to: dto.to } };
  }

  /** Runs a store query; a value DuckDB cannot take (a number out of range) is the request's fault: 400. */
  private async run<T>(what: () => Promise<T>): Promise<T> {
    try {
      return await what();
    } catch (err) {
      const msg = (err as Error).message ?? '';
      if (/Conversion Error|Out of Range Error|out of int64 range|Invalid Input Error/i.test(msg)) {
        throw new BadRequestException(`a value in the request cannot be used in the query: ${msg.split('\n')[0]}`);
      }
      throw err;
    }
  }

  async list(dto: ListFlowsDto): Promise<FlowPage> {
    const { where, range } = this.scope(dto);
    const sortText = dto.sort ?? 'stime';
    const sort = { field: sortText.replace(/^-/, ''), desc: sortText.startsWith('-') };
    const records = dto.records ?? false;
    const limit = dto.limit ?? 100;
    const fingerprint = queryFingerprint([dto.filter ?? '', dto.from ?? null, dto.to ?? null, sortText, records]);
    const after = dto.cursor ? decodeCursor(dto.cursor, fingerprint) : undefined;
    const store = await this.locator.store();
    const rows = (
      await this.run(() =>
        listPage(store, { where, range, sort, records, fields: dto.fields, limit: limit + 1, after }),
      )
    ).map(splitSortKey);
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? encodeCursor(page[page.length - 1][1], fingerprint) : null;
    return { flows: page.map(([r]) => r), next };
  }

  async aggregate(dto: AggregateFlowsDto): Promise<AggregateResult> {
    const { where, range } = this.scope(dto);
    const by = (dto.by ?? []).map(groupKey);
    const names = by.map((k) => k.name);
    if (new Set(names).size !== names.length) throw new BadRequestException(`by names a key twice: ${names.join(',')}`);
    const metrics = dto.metrics?.length ? dto.metrics : DEFAULT_METRICS;
    for (const m of metrics) {
      if (!metricSql(m)) {
        throw new BadRequestException(
          `unknown metric "${m}": expected count, bytes, pkts, appbytes or a counter field (sbytes, dbytes, spkts, dpkts, ...)`,
        );
      }
    }
    if (new Set(metrics).size !== metrics.length)
      throw new BadRequestException(`metrics names one twice: ${metrics.join(',')}`);
    const records = dto.records ?? false;
    const store = await this.locator.store();
    const top = dto.top ?? 20;
    // Top talkers over everything, unfiltered: the store's running totals answer without a scan.
    if (
      by.length === 1 &&
      by[0].bits === undefined &&
      !where &&
      range.from === undefined &&
      range.to === undefined &&
      !dto.bin
    ) {
      const rows = store.topTotals(by[0].field, metrics, top, records);
      if (rows) {
        const groups = rows.map((r) => ({
          key: { [by[0].name]: r.key },
          ...Object.fromEntries(metrics.map((m, i) => [m, r.metrics[i]])),
        }));
        return { by: names, metrics, bin: null, records, groups };
      }
    }
    const built = aggregateSql({ by, metrics, top, bin: dto.bin, where, range, records, maxPoints: MAX_POINTS });
    const rows = await this.run(() => store.query(built.sql, built.params));
    const result: AggregateResult = { by: names, metrics, bin: dto.bin ?? null, records, groups: [] };
    const keyOf = (row: Record<string, unknown>): Record<string, unknown> =>
      Object.fromEntries(
        by.map((k, i) => [k.name, k.bits !== undefined ? formatAddrKey(row[`_g${i}`]) : row[`_g${i}`]]),
      );
    const metricsOf = (row: Record<string, unknown>): Record<string, number> =>
      Object.fromEntries(metrics.map((m, i) => [m, Number(row[`_m${i}`] ?? 0)]));
    if (!dto.bin) {
      result.groups = rows.map((r) => ({ key: keyOf(r), ...metricsOf(r) }));
      return result;
    }
    if (rows.length > MAX_POINTS) {
      throw new BadRequestException(
        `the series would have more than ${MAX_POINTS} points: use a wider bin, a smaller top, or a narrower from/to`,
      );
    }
    const groups = new Map<string, AggregateGroup & { series: Record<string, number>[] }>();
    for (const r of rows) {
      const key = keyOf(r);
      const id = JSON.stringify(key);
      let g = groups.get(id);
      if (!g) groups.set(id, (g = { key, ...Object.fromEntries(metrics.map((m) => [m, 0])), series: [] }));
      const point = metricsOf(r);
      for (const m of metrics) (g[m] as number) += point[m];
      g.series.push({ t: Number(r._t), ...point });
    }
    result.groups = [...groups.values()].sort((a, b) => (b[metrics[0]] as number) - (a[metrics[0]] as number));
    return result;
  }
}

function groupKey(spec: string): GroupKey {
  const [field, bitsText] = spec.split('/');
  const d = FIELD_BY_NAME.get(field);
  if (!d) throw new BadRequestException(`by: unknown field "${field}" (see GET /api/v1/flows/fields)`);
  if (bitsText === undefined) return { field, name: spec };
  if (d.type !== 'addr')
    throw new BadRequestException(`by: ${spec}: a prefix length applies to address fields only (saddr, daddr)`);
  const bits = Number(bitsText);
  if (!(bits >= 0 && bits <= 128)) throw new BadRequestException(`by: ${spec}: the prefix length must be 0 to 128`);
  return { field, bits, name: spec };
}
