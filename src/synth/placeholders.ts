/**
 * Values that cannot be real: what a README or a template leaves for the author to fill in (`…`,
 * `<ACCOUNT_ID>`, `{{ bucket }}`), what get-pipeline prints instead of a secret (`****`), and ARNs that
 * are empty or hold such a piece. Synth refuses them, because AWS would receive them as literal values
 * (an IAM policy for the resource "…", a GitHub token "****"). `conveyor validate` accepts get-pipeline
 * output as it is, masked values included; synth writes what is deployed, so it may not.
 */
import type { PathSegment } from '../documents/source.js';

export interface Placeholder {
  path: PathSegment[];
  value: string;
  why: string;
}

/** Substitution tokens AWS itself fills in (CodePipeline's CodeDeployToECS action). */
const AWS_TOKENS = new Set(['<TASK_DEFINITION>']);

const WHOLE: [RegExp, string][] = [
  [/^\s*(?:…|\.{3})\s*$/, 'an ellipsis'],
  [/^\*{4,}$/, 'a masked value (get-pipeline prints secrets as ****)'],
  [/^<[^<>\s][^<>]*>$/, 'a <PLACEHOLDER>'],
  [/^\{\{[^{}]*\}\}$/, 'an unrendered {{ template }} value'],
  [/^(?:TODO|FIXME|CHANGEME|CHANGE_ME|REPLACE_ME|XXX+)$/i, 'a to-do marker'],
];

/** Inside an ARN, any of these pieces means the ARN was never filled in. */
const IN_ARN: [RegExp, string][] = [
  [/…|\.{3}/, 'an ellipsis'],
  [/\*{4,}/, 'a masked value'],
  [/<[^<>]+>/, 'a <PLACEHOLDER>'],
  [/\{\{[^{}]*\}\}/, 'an unrendered {{ template }}'],
];

const isArnKey = (key: PathSegment | undefined) => typeof key === 'string' && /arns?$/i.test(key);

/** Every placeholder string in a document, with its path. */
export function findPlaceholders(value: unknown, path: PathSegment[] = []): Placeholder[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => findPlaceholders(v, [...path, i]));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => findPlaceholders(v, [...path, k]));
  if (typeof value !== 'string' || AWS_TOKENS.has(value.trim())) return [];
  const key = path[path.length - 1];
  // A list of ARNs (`Resource: [...]`, `SecurityGroups`) is named by the key above the index.
  const arnValued = isArnKey(key) || (typeof key === 'number' && isArnKey(path[path.length - 2]));
  if (arnValued) {
    if (value.trim() === '' || value.trim() === 'arn:') return [{ path, value, why: 'an empty ARN' }];
    for (const [re, why] of IN_ARN)
      if (re.test(value)) return [{ path, value, why: `an ARN holding ${why}` }];
    return [];
  }
  for (const [re, why] of WHOLE) if (re.test(value)) return [{ path, value, why }];
  return [];
}
