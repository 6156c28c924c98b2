/**
 * Compiled validators by schema name, loaded from the module precompiled at build time
 * (scripts/gen-validators.ts), so validating needs neither ajv nor TypeBox at run time.
 */
import * as generated from './generated/validators.js';
import type { CompiledValidator } from './schema-report.js';

export type SchemaName =
  | 'buildspec'
  | 'appspec-ec2'
  | 'appspec-ecs'
  | 'appspec-lambda'
  | 'pipeline'
  | 'deployment-group';

const BY_NAME: Record<SchemaName, CompiledValidator> = {
  buildspec: generated.buildspec,
  'appspec-ec2': generated.appspec_ec2,
  'appspec-ecs': generated.appspec_ecs,
  'appspec-lambda': generated.appspec_lambda,
  pipeline: generated.pipeline,
  'deployment-group': generated.deployment_group,
};

export function getValidator(name: SchemaName): CompiledValidator {
  return BY_NAME[name];
}
