import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { FIELDS, FieldDef } from '@panoptes/flow';
import { panoptesVersion } from '../runtime/paths';

const TYPES: Record<FieldDef['type'], { type: string; format?: string }> = {
  time: { type: 'number', format: 'double' },
  int: { type: 'integer', format: 'int64' },
  float: { type: 'number', format: 'double' },
  string: { type: 'string' },
  addr: { type: 'string' },
};

/** The flow record as an OpenAPI 3.0 schema, generated from the field catalogue. */
export function flowRecordSchema(): Record<string, unknown> {
  const defs = FIELDS as readonly FieldDef[];
  return {
    type: 'object',
    description: 'A flow record; fields without a value are left out. Names are Argus (ra -s) names.',
    properties: Object.fromEntries(
      defs.map((d) => [
        d.name,
        {
          ...TYPES[d.type],
          description: d.unit ? `${d.description} (${d.unit})` : d.description,
          ...(d.name === 'rtype' ? { enum: ['status', 'final'] } : {}),
          ...(d.required ? {} : { nullable: true }),
        },
      ]),
    ),
    required: defs.filter((d) => d.required).map((d) => d.name),
  };
}

/** Serves the OpenAPI document at /api/openapi.json and Swagger UI at /api/docs (both behind the API key). */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Panoptes')
    .setDescription(
      'Network flow audit: query and aggregate the stored flow records, follow new ones live, manage the plugin instances. ' +
        'Every route but /healthz and /readyz needs `Authorization: Bearer <api key>`; plugin management needs an admin key.',
    )
    .setVersion(panoptesVersion())
    .addBearerAuth()
    .build();
  const doc = SwaggerModule.createDocument(app, config);
  doc.components = {
    ...doc.components,
    schemas: { ...(doc.components?.schemas ?? {}), FlowRecord: flowRecordSchema() },
  };
  doc.security = [{ bearer: [] }];
  SwaggerModule.setup('api/docs', app, doc, {
    jsonDocumentUrl: 'api/openapi.json',
    yamlDocumentUrl: 'api/openapi.yaml',
    swaggerOptions: { persistAuthorization: true },
  });
}
