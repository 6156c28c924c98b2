import { appspecKind } from './appspec/kind.js';
import { buildspecKind } from './buildspec/kind.js';
import { deploymentGroupKind } from './deployment-group/kind.js';
import type { DocumentKind, KindModule } from './kind.js';
import { pipelineKind } from './pipeline/kind.js';

/** The registry of document kinds. A kind is one module: detect + check (schema, then rules). */
export const KINDS: Record<DocumentKind, KindModule> = {
  buildspec: buildspecKind,
  appspec: appspecKind,
  pipeline: pipelineKind,
  'deployment-group': deploymentGroupKind,
};
