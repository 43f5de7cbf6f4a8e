import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { PluginHost } from '../runtime/plugin-host';
import { ApiConfig } from '../config/config.schema';
import { API_CONFIG, PLUGIN_HOST } from './api.tokens';
import { HealthController } from './health/health.controller';
import { ConsoleController } from './console/console.controller';
import { FlowsController } from './flows/flows.controller';
import { FlowsService } from './flows/flows.service';
import { FlowsLive } from './flows/flows.live';
import { FlowStoreLocator } from './flows/flow-store.locator';
import { PluginsController } from './plugins/plugins.controller';
import { PipelineController } from './pipeline/pipeline.controller';
import { TopicRates } from './pipeline/topic-rates';
import { RolesGuard } from './security/roles.guard';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { apiValidationPipe } from './common/validation';

/** The HTTP surface of the host. API resources add their controllers here. */
@Module({})
export class AppModule {
  static forRoot(host: PluginHost, api: ApiConfig): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController, FlowsController, PluginsController, PipelineController, ConsoleController],
      providers: [
        { provide: PLUGIN_HOST, useValue: host },
        { provide: API_CONFIG, useValue: api },
        FlowStoreLocator,
        FlowsService,
        FlowsLive,
        TopicRates,
        { provide: APP_GUARD, useClass: RolesGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        { provide: APP_PIPE, useFactory: apiValidationPipe },
      ],
    };
  }
}
