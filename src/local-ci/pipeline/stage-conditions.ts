/** Stage conditions (beforeEntry, onSuccess): evaluating their rules against the run's variable scope. */
import type { Condition } from './model.js';
import { resolveVariables, type VariableScope } from './variables.js';

/** VariableCheck rules are evaluated; other rule providers cannot run locally and count as met (warned upfront). */
export function checkConditions(
  conditions: Condition[] | undefined,
  scope: VariableScope,
): { met: boolean; reason: string } {
  for (const c of conditions ?? []) {
    for (const rule of c.rules ?? []) {
      if (rule.ruleTypeId.provider !== 'VariableCheck') continue;
      const cfg = rule.configuration ?? {};
      const actual = resolveVariables(cfg.Variable ?? '', scope).value;
      const expected = cfg.Value ?? '';
      const op = (cfg.Operator ?? 'EQ').toUpperCase();
      const ok =
        op === 'EQ'
          ? actual === expected
          : op === 'NE'
            ? actual !== expected
            : op === 'CONTAINS'
              ? actual.includes(expected)
              : op === 'MATCHES'
                ? safeRegex(expected).test(actual)
                : true;
      if (!ok)
        return {
          met: false,
          reason: `rule ${rule.name}: ${cfg.Variable} is '${actual}', expected ${op} '${expected}'`,
        };
    }
  }
  return { met: true, reason: '' };
}

function safeRegex(pattern: string): RegExp {
  try {
    return new RegExp(pattern);
  } catch {
    return /$^/;
  }
}
