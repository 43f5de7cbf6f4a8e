import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { FIELDS } from '@panoptes/flow';
import { AggregateFlowsDto, ListFlowsDto, LiveFlowsDto } from './flows.dto';
import { AggregateResult, FlowPage, FlowsService } from './flows.service';
import { FlowsLive } from './flows.live';

@ApiTags('flows')
@ApiBearerAuth()
@Controller('api/v1/flows')
export class FlowsController {
  constructor(
    private readonly flows: FlowsService,
    private readonly liveFeed: FlowsLive,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'list flows (merged: one row per flow) or raw records, filtered, in a stable order with cursor paging',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        flows: { type: 'array', items: { $ref: '#/components/schemas/FlowRecord' } },
        next: { type: 'string', nullable: true, description: 'cursor of the next page; null on the last' },
      },
    },
  })
  list(@Query() q: ListFlowsDto): Promise<FlowPage> {
    return this.flows.list(q);
  }

  @Get('aggregate')
  @ApiOperation({
    summary: 'group by keys (addresses with a prefix), top N by the first metric, optionally as a time series',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      example: {
        by: ['saddr/24'],
        metrics: ['bytes', 'count'],
        bin: null,
        records: false,
        groups: [{ key: { 'saddr/24': '10.0.0.0/24' }, bytes: 123456, count: 42 }],
      },
    },
  })
  aggregate(@Query() q: AggregateFlowsDto): Promise<AggregateResult> {
    return this.flows.aggregate(q);
  }

  @Get('live')
  @ApiOperation({ summary: 'Server-Sent Events: each new record the store commits (event "flow"), after the filter' })
  @ApiProduces('text/event-stream')
  live(@Query() q: LiveFlowsDto, @Res() res: Response): Promise<void> {
    return this.liveFeed.stream(q, res);
  }

  @Get('fields')
  @ApiOperation({ summary: 'the field catalogue: every field a flow record may have, with type, unit and meaning' })
  fields(): { fields: readonly object[] } {
    return { fields: FIELDS };
  }
}
