/**
 * `prometheus` checks: one instant query (GET /api/v1/query) against the server. A scalar or a
 * one-series vector becomes `result`; several series become `result` (the first, by label order) and
 * `results`; an empty vector is no data; an error status or a non-JSON answer is a failed measurement.
 */
import type { SecretMasker } from '../../core/secret-mask.js';
import type { CheckSpec } from '../../documents/deployment-group/checks-schema.js';
import { type CheckContext, type CheckProvider, type CheckReading, renderTemplate } from './check.js';
import { maskText } from './secrets.js';

interface PromAnswer {
  status?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

export const prometheusProvider: CheckProvider = {
  async measure(
    spec: CheckSpec,
    ctx: CheckContext,
    signal: AbortSignal,
    masker: SecretMasker,
  ): Promise<CheckReading> {
    if (spec.provider !== 'prometheus') return { error: `not a prometheus check: ${spec.provider}` };
    const query = renderTemplate(spec.query, ctx);
    const url = new URL('/api/v1/query', spec.address);
    url.searchParams.set('query', query);
    const res = await fetch(url, { signal });
    const text = await res.text();
    let answer: PromAnswer;
    try {
      answer = JSON.parse(text) as PromAnswer;
    } catch {
      // Masked before the cut: a cut through a secret would leave part of it unrecognised.
      return {
        error: `HTTP ${res.status} from ${spec.address}, not JSON: ${maskText(masker, text).slice(0, 120)}`,
      };
    }
    if (answer.status !== 'success') {
      return { error: `query '${query}' failed: ${answer.error ?? `HTTP ${res.status}`}` };
    }
    const values = valuesOf(answer.data);
    if (values.length === 0) return { noData: `query '${query}' returned no series` };
    const result = values[0]!;
    if (Number.isNaN(result)) return { noData: `query '${query}' returned NaN (no requests in its range?)` };
    const measured: Record<string, number> = { result };
    if (values.length > 1) for (const [i, v] of values.entries()) measured[`result${i}`] = v;
    return { vars: { result, results: values.length }, measured };
  },
};

function valuesOf(data: PromAnswer['data']): number[] {
  if (!data) return [];
  if (data.resultType === 'scalar' && Array.isArray(data.result)) return [Number(data.result[1])];
  if (data.resultType === 'vector' && Array.isArray(data.result)) {
    return (data.result as { value?: [number, string] }[])
      .filter((s) => Array.isArray(s.value))
      .map((s) => Number(s.value![1]));
  }
  return [];
}
