/**
 * Telling a pipeline from the other kinds, apart from its checks: detection runs on every file of a run, the
 * checks load only for the kinds found (documents/load-kinds.ts).
 */
import { isRecord } from '../report.js';

/** How surely a parsed value is a pipeline (0 to 1), from its content alone. */
export function detectPipeline(value: unknown): number {
  if (!isRecord(value)) return 0;
  const inner = value.pipeline;
  if (isRecord(inner)) {
    let score = 0.5;
    if (Array.isArray(inner.stages)) score += 0.4;
    if ('roleArn' in inner || 'artifactStore' in inner || 'artifactStores' in inner) score += 0.2;
    return Math.min(1, score);
  }
  // A bare declaration (without the `pipeline` wrapper) is still recognisably a pipeline.
  if (Array.isArray(value.stages) && ('roleArn' in value || 'artifactStore' in value)) return 0.6;
  return 0;
}
