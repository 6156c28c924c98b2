import { detectAppSpec } from './appspec/detect.js';
import { detectBuildspec } from './buildspec/detect.js';
import { detectDeploymentGroup } from './deployment-group/detect.js';
import type { DocumentKind } from './kind.js';
import { detectPipeline } from './pipeline/detect.js';

/**
 * Each kind's detector alone (its KindModule's `detect`), so telling a file's kind loads none of the
 * kinds' schemas and rules.
 */
export const DETECTORS: Record<DocumentKind, (value: unknown) => number> = {
  buildspec: detectBuildspec,
  appspec: detectAppSpec,
  pipeline: detectPipeline,
  'deployment-group': detectDeploymentGroup,
};
