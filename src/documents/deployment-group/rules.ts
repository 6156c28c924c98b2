/**
 * What the schema cannot say about a deployment group: shapes that depend on the strategy type, and files the
 * group names. Pure (file existence is injected); reported by the kind's check (`conveyor validate`, `deploy`).
 */
import { isAbsolute, resolve } from 'node:path';
import { parseIpRange } from '../../core/ip-ranges.js';
import { parseCondition } from './condition.js';
import type { DeploymentGroup } from './schema.js';

export interface GroupFinding {
  path: (string | number)[];
  message: string;
  /** Defaults to `deployment-group/invalid-value`. */
  ruleId?: 'deployment-group/rollback-hook-missing' | 'deployment-group/check-command-missing';
}

export type GroupRule = (
  group: DeploymentGroup,
  dir: string,
  fileExists: (path: string) => boolean,
) => GroupFinding[];

export const groupRules: GroupRule[] = [
  (group) => checkRules(group),
  (group) =>
    (group.local?.trustedProxies ?? []).flatMap((text, i) => {
      const range = parseIpRange(text);
      return typeof range === 'string' ? [{ path: ['local', 'trustedProxies', i], message: range }] : [];
    }),
  (group, dir, fileExists) => {
    const out: GroupFinding[] = [];
    for (const name of ['beforeRollback', 'afterRollback'] as const) {
      const script = group.rollback?.hooks?.[name];
      if (script && !fileExists(resolve(dir, script))) {
        out.push({
          path: ['rollback', 'hooks', name],
          ruleId: 'deployment-group/rollback-hook-missing',
          message: `rollback hook ${script} does not exist (paths are relative to the group file)`,
        });
      }
    }
    return out;
  },
  commandCheckFiles,
  (group) => {
    const s = group.strategy;
    if (typeof s !== 'object') return [];
    const out: GroupFinding[] = [];
    if ((s.type === 'canary' || s.type === 'linear' || s.type === 'steps') && s.steps) {
      const weights = s.steps.flatMap((x) => ('setWeight' in x ? [x.setWeight] : []));
      if (weights.length === 0) {
        out.push({
          path: ['strategy', 'steps'],
          message: 'the steps never send traffic to the new revision: add a setWeight step',
        });
      }
    }
    if (s.type === 'rolling' && !s.minimumHealthyHosts) {
      out.push({
        path: ['strategy', 'type'],
        message: 'strategy rolling needs minimumHealthyHosts: {count: N} or {percent: P}',
      });
    }
    if (
      s.type === 'canary' &&
      !s.steps &&
      !s.config &&
      (s.percent === undefined || s.intervalSeconds === undefined)
    ) {
      out.push({
        path: ['strategy', 'type'],
        message:
          'strategy canary needs steps, or percent and intervalSeconds, or config (e.g. Canary10Percent5Minutes)',
      });
    }
    if (
      s.type === 'linear' &&
      !s.steps &&
      !s.config &&
      (s.stepPercent === undefined || s.intervalSeconds === undefined)
    ) {
      out.push({
        path: ['strategy', 'type'],
        message:
          'strategy linear needs stepPercent and intervalSeconds, or config (e.g. Linear10PercentEvery1Minute)',
      });
    }
    return out;
  },
];

/**
 * A command check whose program is a relative path (`./smoke.sh`, `scripts/smoke.sh`) that is not there
 * beside the group file, where the runner starts it. A warning: the script may be generated before `deploy`.
 * In a shell line only a plain first word is read; a bare name (`curl`) comes from PATH and is not checked.
 */
function commandCheckFiles(
  group: DeploymentGroup,
  dir: string,
  fileExists: (path: string) => boolean,
): GroupFinding[] {
  const out: GroupFinding[] = [];
  // Stryker disable next-line ArrayDeclaration: equivalent, a made-up entry is no command check and is skipped
  for (const [i, c] of (group.analysis?.checks ?? []).entries()) {
    if (c.provider !== 'command') continue;
    const argv = typeof c.command !== 'string';
    const program = typeof c.command === 'string' ? firstWord(c.command) : c.command[0];
    if (program === undefined || !program.includes('/') || isAbsolute(program)) continue;
    if (fileExists(resolve(dir, program))) continue;
    out.push({
      path: ['analysis', 'checks', i, 'command', ...(argv ? [0] : [])],
      ruleId: 'deployment-group/check-command-missing',
      message: `command check '${c.name}' runs ${program}, which does not exist (paths are relative to the group file)`,
    });
  }
  return out;
}

/** The program of a shell line when it is a plain path: no quotes, variables, templates or assignments. */
function firstWord(line: string): string | undefined {
  // Stryker disable next-line Regex: equivalent, after trim() the first word is the same split on one space or several
  const word = line.trim().split(/\s+/)[0]!;
  return /^[\w./+@-]+$/.test(word) ? word : undefined;
}

/** `analysis.checks`: unique names and points, conditions that parse, a CloudWatch check that says what to read. */
function checkRules(group: DeploymentGroup): GroupFinding[] {
  const out: GroupFinding[] = [];
  const seen = new Set<string>();
  for (const [i, c] of (group.analysis?.checks ?? []).entries()) {
    const at = ['analysis', 'checks', i];
    if (seen.has(c.name))
      out.push({ path: [...at, 'name'], message: `check name '${c.name}' is used twice` });
    seen.add(c.name);
    if (c.condition !== undefined) {
      const parsed = parseCondition(c.condition);
      if ('error' in parsed) out.push({ path: [...at, 'condition'], message: parsed.error });
    }
    const points = c.at ?? [];
    if (new Set(points).size !== points.length) {
      out.push({ path: [...at, 'at'], message: `deployment point listed twice in [${points.join(', ')}]` });
    }
    if (c.provider === 'cloudwatch') {
      const ways = (c.alarmName !== undefined ? 1 : 0) + (c.metricDataQueries !== undefined ? 1 : 0);
      if (ways !== 1) {
        out.push({
          path: at,
          message: `cloudwatch check '${c.name}' needs exactly one of alarmName or metricDataQueries`,
        });
      }
      for (const [j, q] of (c.metricDataQueries ?? []).entries()) {
        if ((q.expression === undefined) === (q.metricStat === undefined)) {
          out.push({
            path: [...at, 'metricDataQueries', j],
            message: `metric data query '${q.id}' needs exactly one of expression or metricStat`,
          });
        }
      }
    }
  }
  return out;
}
