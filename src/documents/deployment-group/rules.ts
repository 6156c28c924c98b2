/**
 * What the schema cannot say about a deployment group: shapes that depend on the strategy type, and files the
 * group names. Pure (file existence is injected); reported by the kind's check (`conveyor validate`, `deploy`).
 */
import { resolve } from 'node:path';
import { parseIpRange } from '../../core/ip-ranges.js';
import type { DeploymentGroup } from './schema.js';

export interface GroupFinding {
  path: (string | number)[];
  message: string;
  /** Defaults to `deployment-group/invalid-value`. */
  ruleId?: 'deployment-group/rollback-hook-missing';
}

export type GroupRule = (
  group: DeploymentGroup,
  dir: string,
  fileExists: (path: string) => boolean,
) => GroupFinding[];

export const groupRules: GroupRule[] = [
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
