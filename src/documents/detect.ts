import { basename, dirname } from 'node:path';
import type { DocumentKind } from './kind.js';
import { KINDS } from './kinds.js';

/** What the file name says, and how sure it is (`appspec.json` of other tools exist, so names are hints). */
export function kindFromName(file: string): { kind: DocumentKind; certain: boolean } | undefined {
  const name = basename(file).toLowerCase();
  const dir = basename(dirname(file)).toLowerCase();
  const yaml = /\.ya?ml$/.test(name);
  const json = /\.json$/.test(name);
  if (!yaml && !json) return undefined;
  if (name.includes('buildspec')) return { kind: 'buildspec', certain: yaml };
  if (name.includes('appspec')) return { kind: 'appspec', certain: yaml };
  if (name.includes('deployment-group') || name.includes('deploymentgroup') || /\.deploy\.ya?ml$/.test(name))
    return { kind: 'deployment-group', certain: false };
  if (name.includes('pipeline')) return { kind: 'pipeline', certain: false };
  if (dir === '.codebuild' || dir === 'buildspec' || dir === 'buildspecs')
    return { kind: 'buildspec', certain: false };
  if (dir === 'appspec' || dir === 'appspecs') return { kind: 'appspec', certain: false };
  if (dir === 'pipelines' || dir === 'pipeline') return { kind: 'pipeline', certain: false };
  return undefined;
}

/**
 * The kind of a document from its name and content. Content decides when it is clear; the name breaks
 * ties and covers files whose content could not be read. Returns undefined for files of other tools.
 */
export function detectKind(file: string, value: unknown): DocumentKind | undefined {
  const hint = kindFromName(file);
  if (value === undefined || value === null) return hint?.kind;
  let best: DocumentKind | undefined;
  let bestScore = 0;
  for (const mod of Object.values(KINDS)) {
    let score = 0;
    try {
      score = mod.detect(value) + (hint?.kind === mod.kind ? 0.15 : 0);
    } catch {
      // A detector tripping over odd content (e.g. extreme nesting) just does not claim the file.
    }
    if (score > bestScore) {
      bestScore = score;
      best = mod.kind;
    }
  }
  if (best && bestScore >= 0.5) return best;
  if (hint?.certain) return hint.kind;
  if (hint && bestScore > 0.15 && best === hint.kind) return hint.kind;
  return undefined;
}
