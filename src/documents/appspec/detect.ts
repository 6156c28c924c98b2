/**
 * Telling a appspec from the other kinds, apart from its checks: detection runs on every file of a run, the
 * checks load only for the kinds found (documents/load-kinds.ts).
 */
import { isRecord } from '../report.js';

/** Content that only an AppSpec has. */
export function detectAppSpec(value: unknown): number {
  if (!isRecord(value)) return 0;
  const keys = Object.keys(value).map((k) => k.toLowerCase());
  let score = 0;
  if (keys.includes('version') && (value.version === 0 || value.version === '0.0' || value.Version === 0))
    score += 0.4;
  if (keys.includes('os')) score += 0.4;
  if (keys.includes('files') && Array.isArray(value.files)) score += 0.2;
  if (keys.includes('file_exists_behavior') || keys.includes('permissions')) score += 0.3;
  if (keys.includes('hooks')) score += 0.3;
  if (keys.includes('resources')) {
    const r = value.Resources ?? value.resources;
    const text = JSON.stringify(r ?? '');
    if (
      /AWS::(ECS::Service|Lambda::Function)|TaskDefinition|LoadBalancerInfo|currentversion|targetversion/i.test(
        text,
      )
    )
      score += 0.6;
    else score += 0.1;
  }
  if (keys.includes('phases') || keys.includes('pipeline') || keys.includes('stages')) score -= 0.5;
  return Math.max(0, Math.min(1, score));
}
