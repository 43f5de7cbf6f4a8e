import { DynamicModule, Module } from '@nestjs/common';
import { PluginHost } from '../runtime/plugin-host';
import { ApiConfig } from '../config/config.schema';
import { API_CONFIG, PLUGIN_HOST } from './api.tokens';
import { HealthController } from './health/health.controller';
import { ConsoleController } from './console/console.controller';

/** The HTTP surface of the host. API resources add their controllers here. */
@Module({})
export class AppModule {
  static forRoot(host: PluginHost, api: ApiConfig): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController, ConsoleController],
      providers: [
        { provide: PLUGIN_HOST, useValue: host },
        { provide: API_CONFIG, useValue: api },
      ],
    };
  }
}
