/**
 * A definition is plain data plus a brand: `defineX(...)` returns one, a source module exports it,
 * and synth turns it into files. The brand is a registered symbol (Symbol.for) so a definition made
 * by one copy of the library (a user's `conveyor` import) is recognised by another (the CLI).
 */
import type {
  AppSpec,
  Buildspec,
  CreateDeploymentConfigInput,
  DeploymentGroupDocument,
  PipelineDeclaration,
} from './documents.js';

export const DEFINITION = Symbol.for('conveyor.definition');

export type DefinitionKind = 'buildspec' | 'appspec' | 'pipeline' | 'deployment-group' | 'deployment-config';

interface DefinitionBase<K extends DefinitionKind, D> {
  readonly [DEFINITION]: true;
  readonly kind: K;
  /** Names the output file(s); unique per kind across all sources. */
  readonly name: string;
  readonly document: D;
}

export type BuildspecDefinition = DefinitionBase<'buildspec', Buildspec>;
export interface AppspecDefinition extends DefinitionBase<'appspec', AppSpec> {
  readonly platform: 'server' | 'ecs' | 'lambda';
}
export type PipelineDefinition = DefinitionBase<'pipeline', PipelineDeclaration>;
export type DeploymentConfigDefinition = DefinitionBase<'deployment-config', CreateDeploymentConfigInput>;
export interface DeploymentGroupDefinition
  extends DefinitionBase<'deployment-group', DeploymentGroupDocument> {
  /** A custom configuration the group uses; synth emits it alongside the group. */
  readonly deploymentConfig?: DeploymentConfigDefinition;
}

export type Definition =
  | BuildspecDefinition
  | AppspecDefinition
  | PipelineDefinition
  | DeploymentGroupDefinition
  | DeploymentConfigDefinition;

export function isDefinition(value: unknown): value is Definition {
  return (
    typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DEFINITION] === true
  );
}

export function brand<T extends { kind: DefinitionKind; name: string }>(
  value: T,
): T & { readonly [DEFINITION]: true } {
  return Object.freeze({ [DEFINITION]: true as const, ...value });
}

/** Drops keys whose value is undefined, so optional props never reach the emitted document. */
export function compact<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as T;
}
