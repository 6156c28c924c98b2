import picomatch from 'picomatch';
import type { GitFilter, PipelineDeclaration } from '../pipeline/model.js';

/** One ref update of a push. */
export interface RefUpdate {
  ref: string;
  oldSha: string;
  newSha: string;
}

export const zeroSha = /^0+$/;

export interface TriggerDecision {
  match: boolean;
  /** Why it matched or not, in words the pusher sees. */
  reason: string;
}

function globMatch(value: string, patterns: string[]): boolean {
  return patterns.some((p) => picomatch.isMatch(value, p, { dot: true }));
}

/** includes (absent = everything) and not excludes. */
function filterAccepts(filter: GitFilter, value: string): boolean {
  if (filter.includes && filter.includes.length > 0 && !globMatch(value, filter.includes)) return false;
  if (filter.excludes && filter.excludes.length > 0 && globMatch(value, filter.excludes)) return false;
  return true;
}

function describe(filter: GitFilter): string {
  const parts: string[] = [];
  if (filter.includes?.length) parts.push(`includes [${filter.includes.join(', ')}]`);
  if (filter.excludes?.length) parts.push(`excludes [${filter.excludes.join(', ')}]`);
  return parts.join(' ') || 'any';
}

/**
 * Whether a pushed ref starts the pipeline, following CodePipeline V2 git triggers: push filters are ORed; inside a
 * filter, tags / branches / filePaths are ANDed; a file-path filter needs at least one changed file accepted.
 * Without triggers, a push to the source action's BranchName starts it (default change detection).
 * Pull-request filters do not apply to pushes and are ignored.
 */
export function matchPush(
  pipeline: PipelineDeclaration,
  update: RefUpdate,
  changedFiles: string[],
): TriggerDecision {
  if (zeroSha.test(update.newSha)) return { match: false, reason: `${update.ref} was deleted` };
  const isTag = update.ref.startsWith('refs/tags/');
  const isBranch = update.ref.startsWith('refs/heads/');
  const name = update.ref.replace(/^refs\/(heads|tags)\//, '');
  const pushFilters = (pipeline.triggers ?? []).flatMap((t) => t.gitConfiguration.push ?? []);
  if (pushFilters.length === 0) {
    const hasPullRequestOnly = (pipeline.triggers ?? []).some((t) => t.gitConfiguration.pullRequest?.length);
    if (hasPullRequestOnly)
      return { match: false, reason: 'only pullRequest triggers, which do not apply to a push' };
    const branches =
      pipeline.stages[0]?.actions.map((a) => a.configuration?.BranchName).filter((b): b is string => !!b) ??
      [];
    if (isBranch && branches.includes(name))
      return { match: true, reason: `push to ${name}, the source branch` };
    return {
      match: false,
      reason: branches.length
        ? `${update.ref} is not the source branch (${branches.join(', ')})`
        : 'no trigger and no source branch',
    };
  }
  const reasons: string[] = [];
  for (const [i, f] of pushFilters.entries()) {
    const label = `push filter ${i + 1}`;
    if (f.tags) {
      if (!isTag) {
        reasons.push(`${label}: ${update.ref} is not a tag`);
        continue;
      }
      if (!filterAccepts(f.tags, name)) {
        reasons.push(`${label}: tag ${name} does not match ${describe(f.tags)}`);
        continue;
      }
      return { match: true, reason: `${label}: tag ${name} matches ${describe(f.tags)}` };
    }
    if (f.branches) {
      if (!isBranch) {
        reasons.push(`${label}: ${update.ref} is not a branch`);
        continue;
      }
      if (!filterAccepts(f.branches, name)) {
        reasons.push(`${label}: branch ${name} does not match ${describe(f.branches)}`);
        continue;
      }
    } else if (!isBranch) {
      reasons.push(`${label}: ${update.ref} is not a branch`);
      continue;
    }
    if (f.filePaths) {
      const accepted = changedFiles.filter((file) => filterAccepts(f.filePaths!, file));
      if (accepted.length === 0) {
        reasons.push(
          `${label}: none of the ${changedFiles.length} changed file(s) match ${describe(f.filePaths)}`,
        );
        continue;
      }
      return {
        match: true,
        reason: `${label}: branch ${name}, ${accepted.length} changed file(s) match ${describe(f.filePaths)}`,
      };
    }
    return {
      match: true,
      reason: `${label}: branch ${name} matches ${f.branches ? describe(f.branches) : 'any'}`,
    };
  }
  return { match: false, reason: reasons.join('; ') };
}
