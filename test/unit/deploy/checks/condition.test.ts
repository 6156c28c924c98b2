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
    // Failed stays failed: a good reading afterwards does not bring it back.
    expect(evaluateCheck(c.state, pass, spec).verdict).toMatchObject({
      result: 'fail',
      reasons: ['check err already failed'],
    });
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

  it('a check failed by the no-data policy, its error limit or a bad condition stays failed', () => {
    const pass = { vars: { result: 0.01 }, measured: { result: 0.01 } };
    const byPolicy = evaluateCheck(undefined, { noData: 'empty' }, { ...spec, noDataPolicy: 'fail' });
    expect(byPolicy.verdict.reasons).toEqual(['err: no data: empty']);
    const limited = { ...spec, measurementErrorLimit: 1 };
    const byErrors = evaluateCheck(undefined, { error: 'HTTP 503' }, limited);
    expect(byErrors.verdict.reasons).toEqual(['err: measurement failed: HTTP 503 (1 in a row)']);
    const bad = { ...spec, condition: 'result <' };
    const byCondition = evaluateCheck(undefined, pass, bad);
    for (const [state, s] of [
      [byPolicy.state, spec],
      [byErrors.state, limited],
      [byCondition.state, bad],
    ] as const) {
      expect(evaluateCheck(state, pass, s).verdict).toMatchObject({
        result: 'fail',
        action: 'rollback',
        reasons: ['check err already failed'],
      });
    }
  });

  it('no data is not a failed measurement: it never counts toward the error limit', () => {
    const passing = { ...spec, noDataPolicy: 'pass' as const, measurementErrorLimit: 2 };
    let s = evaluateCheck(undefined, { noData: 'empty' }, passing);
    for (let i = 0; i < 3; i++) s = evaluateCheck(s.state, { noData: 'empty' }, passing);
    expect(s.verdict).toMatchObject({
      result: 'pass',
      reasons: ['err: no data: empty; the no-data policy passes it'],
    });
  });

  it('a check without a condition is judged on its provider’s default, named in the verdict', () => {
    const judge = (s: CheckSpec, vars: Record<string, unknown>, measured: Record<string, number>) => {
      const v = evaluateCheck(undefined, { vars, measured }, s).verdict;
      return `${v.result}: ${v.reasons[0]}`;
    };
    const smoke: CheckSpec = { name: 'smoke', provider: 'command', command: './smoke.sh' };
    expect(judge(smoke, { exitCode: 0 }, { exitCode: 0 })).toBe(
      'pass: smoke: exitCode == 0 holds (exitCode=0)',
    );
    expect(judge(smoke, { exitCode: 1 }, { exitCode: 1 })).toBe(
      'fail: smoke: exitCode == 0 does not hold (exitCode=1)',
    );
    const web: CheckSpec = { name: 'web', provider: 'http', url: 'http://127.0.0.1:9/health' };
    expect(judge(web, { status: 204 }, { status: 204 })).toBe(
      'pass: web: status >= 200 && status < 300 holds (status=204)',
    );
    expect(judge(web, { status: 503 }, { status: 503 })).toBe(
      'fail: web: status >= 200 && status < 300 does not hold (status=503)',
    );
    const alarm: CheckSpec = { name: 'alb', provider: 'cloudwatch', alarmName: 'web-5xx' };
    expect(judge(alarm, { state: 'ALARM' }, { alarm: 1 })).toBe(
      "fail: alb: state != 'ALARM' does not hold (alarm=1)",
    );
    expect(judge(alarm, { state: 'OK' }, { alarm: 0 })).toBe("pass: alb: state != 'ALARM' holds (alarm=0)");
    // Metrics and Prometheus have no default threshold: any number read holds, NaN does not.
    const metric: CheckSpec = {
      name: 'rate',
      provider: 'cloudwatch',
      metricDataQueries: [{ id: 'm', expression: '1' }],
    };
    expect(judge(metric, { result: 7 }, { result: 7 })).toBe('pass: rate: result == result holds (result=7)');
    const { condition: _, failureLimit: __, ...prom } = spec;
    expect(judge(prom as CheckSpec, { result: Number.NaN }, { result: Number.NaN })).toBe(
      'fail: err: result == result does not hold (result=NaN)',
    );
  });

  it('a reading lists the numbers it measured in its reason, or says it measured none', () => {
    const custom: CheckSpec = {
      name: 'flag',
      provider: 'http',
      url: 'http://127.0.0.1:9/',
      condition: 'ok == true',
    };
    const v = evaluateCheck(undefined, { vars: { ok: true }, measured: {} }, custom).verdict;
    expect(v.reasons).toEqual(['flag: ok == true holds (nothing measured)']);
    const two = evaluateCheck(
      undefined,
      { vars: { ok: true }, measured: { errors: 3, requests: 120 } },
      custom,
    );
    expect(two.verdict.reasons).toEqual(['flag: ok == true holds (errors=3, requests=120)']);
  });
});
