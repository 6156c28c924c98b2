/**
 * Compiled validators by schema name, precompiled at build time (scripts/gen-validators.ts) into one
 * CommonJS module per schema, so validating needs neither ajv nor TypeBox at run time. Each module is
 * loaded the first time a document of its schema is checked: a run over buildspecs never reads the
 * pipeline or deployment-group validators (together about four fifths of the generated code). require()
 * keeps that lazy load synchronous, so validateText and the kinds' checks stay synchronous.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { packageRoot } from '../core/paths.js';
import type { CompiledValidator } from './schema-report.js';

export type SchemaName =
  | 'buildspec'
  | 'appspec-ec2'
  | 'appspec-ecs'
  | 'appspec-lambda'
  | 'pipeline'
  | 'deployment-group';

/** Set by scripts/bundle.ts in dist/: where the bundle finds the generated modules. */
declare const CONVEYOR_GENERATED_DIR: string | undefined;

/** dist/documents/generated in the bundle; src/documents/generated when src/ runs (tests, tsx). */
const GENERATED_DIR = join(
  packageRoot,
  typeof CONVEYOR_GENERATED_DIR === 'string' ? CONVEYOR_GENERATED_DIR : 'src/documents/generated',
);

const loaded = new Map<SchemaName, CompiledValidator>();
let load: NodeJS.Require | undefined;

export function getValidator(name: SchemaName): CompiledValidator {
  let v = loaded.get(name);
  if (!v) {
    load ??= createRequire(import.meta.url);
    v = load(join(GENERATED_DIR, `${name}.cjs`)) as CompiledValidator;
    loaded.set(name, v);
  }
  return v;
}
