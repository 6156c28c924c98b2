/**
 * Telling a deployment-group from the other kinds, apart from its checks: detection runs on every file of a run, the
 * checks load only for the kinds found (documents/load-kinds.ts).
 */
import { isRecord } from '../report.js';

/** How surely a parsed value is a deployment-group (0 to 1), from its content alone. */
export function detectDeploymentGroup(value: unknown): number {
  if (!isRecord(value)) return 0;
  let score = 0;
  if (typeof value.deploymentGroup === 'string') score += 0.5;
  if (typeof value.application === 'string') score += 0.3;
  if (value.provider === 'local' || value.provider === 'codedeploy') score += 0.3;
  if (isRecord(value.strategy) || typeof value.strategy === 'string') score += 0.2;
  return Math.min(1, score);
}
