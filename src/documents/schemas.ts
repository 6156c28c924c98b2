/**
 * Every JSON Schema the validator compiles, by name. Build-time only: the CLI loads the precompiled
 * validators in generated/<schema>.cjs (see scripts/gen-validators.ts), never TypeBox or ajv.
 */
import { Ec2AppSpecSchema, EcsAppSpecSchema, LambdaAppSpecSchema } from './appspec/schema.js';
import { BuildspecSchema } from './buildspec/schema.js';
import { DeploymentGroupSchema } from './deployment-group/schema.js';
import { PipelineDocumentSchema } from './pipeline/schema.js';

export const SCHEMAS = {
  buildspec: BuildspecSchema,
  'appspec-ec2': Ec2AppSpecSchema,
  'appspec-ecs': EcsAppSpecSchema,
  'appspec-lambda': LambdaAppSpecSchema,
  pipeline: PipelineDocumentSchema,
  'deployment-group': DeploymentGroupSchema,
} as const;
export type SchemaName = keyof typeof SCHEMAS;
