/**
 * Compiled validators by schema name. Built once per process with ajv (strict, allErrors, verbose
 * for messages that quote the found value and the allowed keys).
 */
import { Ajv } from 'ajv';
import { Ec2AppSpecSchema, EcsAppSpecSchema, LambdaAppSpecSchema } from './appspec/schema.js';
import { BuildspecSchema } from './buildspec/schema.js';
import { DeploymentGroupSchema } from './deployment-group/schema.js';
import { PipelineDocumentSchema } from './pipeline/schema.js';
import type { CompiledValidator } from './schema-report.js';

export const SCHEMAS = {
  buildspec: BuildspecSchema,
  'appspec-ec2': Ec2AppSpecSchema,
  'appspec-ecs': EcsAppSpecSchema,
  'appspec-lambda': LambdaAppSpecSchema,
  pipeline: PipelineDocumentSchema,
  'deployment-group': DeploymentGroupSchema,
} as const;
export type SchemaName = keyof typeof SCHEMAS;

export function createAjv(): Ajv {
  return new Ajv({
    strict: true,
    allErrors: true,
    verbose: true,
    allowUnionTypes: true,
    code: { esm: true },
  });
}

let ajv: Ajv | undefined;
const cache = new Map<SchemaName, CompiledValidator>();

export function getValidator(name: SchemaName): CompiledValidator {
  let v = cache.get(name);
  if (!v) {
    ajv ??= createAjv();
    v = ajv.compile(SCHEMAS[name]) as CompiledValidator;
    cache.set(name, v);
  }
  return v;
}
