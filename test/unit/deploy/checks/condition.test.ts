import { describe, expect, it } from 'vitest';
import { evaluateCheck } from '../../../../src/deploy/checks/check.js';
import type { CheckSpec } from '../../../../src/documents/deployment-group/checks-schema.js';
import { parseCondition } from '../../../../src/documents/deployment-group/condition.js';

function holds(source: string, vars: Record<string, unknown>): boolean {
  const c = parseCondition(source);
  if ('error' in c) throw new Error(c.error);
  return c.test(vars);
}

describe('check conditions', () => {
  it('compares numbers, strings and booleans, with precedence and parentheses', () => {
    expect(holds('result < 0.01', { result: 0.005 })).toBe(true);
    expect(holds('result < 0.01', { result: 0.01 })).toBe(false);
    expect(holds('status == 200 && body.ok == true', { status: 200, body: { ok: true } })).toBe(true);
    expect(holds('status == 200 && body.ok == true', { status: 200, body: { ok: 'true' } })).toBe(false);
    expect(holds("body.state != 'ALARM'", { body: { state: 'OK' } })).toBe(true);
    expect(holds('a == 1 || b == 2 && c == 3', { a: 1, b: 0, c: 0 })).toBe(true);
    expect(holds('(a == 1 || b == 2) && c == 3', { a: 1, b: 0, c: 0 })).toBe(false);
    expect(holds('!(exitCode > 0)', { exitCode: 0 })).toBe(true);
    expect(holds('result >= 1e-3', { result: 0.002 })).toBe(true);
  });

  it('a missing name or a value of another type never makes a comparison hold', () => {
    expect(holds('body.rate < 0.05', { body: undefined })).toBe(false);
    expect(holds('body.rate < 0.05', { body: { rate: '0.01' } })).toBe(false);
    expect(holds('result < 1', {})).toBe(false);
    // Not a way out of the variables: prototype keys are not values.
    expect(holds('body.constructor == 1', { body: {} })).toBe(false);
  });

  it('refuses bad syntax with a message, never by evaluating it as code', () => {
    expect(parseCondition('result <')).toEqual({
      error: "condition 'result <': the condition ends too early",
    });
    expect(parseCondition('result < 1 1')).toEqual({ error: "condition 'result < 1 1': unexpected '1'" });
    expect(parseCondition('process.exit(1)')).toEqual({
      error: "condition 'process.exit(1)': unexpected '('",
    });
    expect(parseCondition('result; 1')).toEqual({
      error: "condition 'result; 1': unexpected ';' at column 7",
    });
  });
});

const spec: CheckSpec = {
  name: 'err',
  provider: 'prometheus',
  address: 'http://127.0.0.1:9',
  query: 'x',
  condition: 'result < 0.05',
  failureLimit: 2,
};

describe('evaluateCheck', () => {
  it('counts consecutive breaches to the failure limit, and a pass resets them', () => {
    const breach = { vars: { result: 0.3 }, measured: { result: 0.3 } };
    const pass = { vars: { result: 0.01 }, measured: { result: 0.01 } };
    const a = evaluateCheck(undefined, breach, spec);
    expect(a.verdict).toMatchObject({ result: 'inconclusive', action: 'continue' });
    expect(a.verdict.reasons).toEqual(['err: result < 0.05 does not hold (result=0.3); breach 1 of 2']);
    const b = evaluateCheck(a.state, pass, spec);
    expect(b.verdict).toMatchObject({ result: 'pass', action: 'continue', measured: { result: 0.01 } });
    const c = evaluateCheck(evaluateCheck(b.state, breach, spec).state, breach, spec);
    expect(c.verdict).toMatchObject({ result: 'fail', action: 'rollback' });
    expect(evaluateCheck(c.state, pass, spec).verdict.result).toBe('fail');
  });

  it('no data follows the no-data policy; failed measurements fail at their limit whatever the policy', () => {
    expect(evaluateCheck(undefined, { noData: 'empty' }, spec).verdict).toMatchObject({
      result: 'inconclusive',
      action: 'pause',
      reasons: ['err: no data: empty'],
    });
    expect(
      evaluateCheck(undefined, { noData: 'empty' }, { ...spec, noDataPolicy: 'fail' }).verdict.result,
    ).toBe('fail');
    const passing = { ...spec, noDataPolicy: 'pass' as const };
    let s = evaluateCheck(undefined, { error: 'timed out after 2s' }, passing);
    expect(s.verdict.result).toBe('pass');
    s = evaluateCheck(s.state, { error: 'timed out after 2s' }, passing);
    s = evaluateCheck(s.state, { error: 'timed out after 2s' }, passing);
    expect(s.verdict).toMatchObject({
      result: 'fail',
      reasons: ['err: measurement failed: timed out after 2s (3 in a row)'],
    });
  });

  it('a condition that does not parse fails the check with the parser message', () => {
    const v = evaluateCheck(
      undefined,
      { vars: { result: 0 }, measured: { result: 0 } },
      { ...spec, condition: 'result <' },
    );
    expect(v.verdict).toMatchObject({
      result: 'fail',
      reasons: ["condition 'result <': the condition ends too early"],
    });
  });
});
