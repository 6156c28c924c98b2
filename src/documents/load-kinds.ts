import type { DocumentKind, KindModule } from './kind.js';

/** The kinds' modules (schema, rules) that a run has loaded so far. */
export type KindRegistry = Partial<Record<DocumentKind, KindModule>>;

const LOADERS: Record<DocumentKind, () => Promise<KindModule>> = {
  buildspec: async () => (await import('./buildspec/kind.js')).buildspecKind,
  appspec: async () => (await import('./appspec/kind.js')).appspecKind,
  pipeline: async () => (await import('./pipeline/kind.js')).pipelineKind,
  'deployment-group': async () => (await import('./deployment-group/kind.js')).deploymentGroupKind,
};

/**
 * The checks of the kinds a run met, loaded on first use: a run of buildspecs never loads the rules of
 * pipelines or AppSpecs (kinds.ts has all four, for callers that check synchronously).
 */
export async function loadKinds(kinds: Iterable<DocumentKind>): Promise<KindRegistry> {
  const registry: KindRegistry = {};
  await Promise.all(
    [...new Set(kinds)].map(async (kind) => {
      registry[kind] = await LOADERS[kind]();
    }),
  );
  return registry;
}
