/**
 * `http` checks (Argo's "web" provider): GET or POST a URL; the condition sees `status`, `body` (the
 * parsed JSON, so `body.data.ok`) and `text`. A body that is not JSON leaves `body` unset: a condition
 * on it does not hold (it is never a pass by accident). The first 2000 characters of the answer are kept,
 * masked before the cut (an endpoint may echo the check's own Authorization header or URL token, or print a
 * URL with a password the cut would leave without its `@`).
 */
import type { SecretMasker } from '../../core/secret-mask.js';
import type { CheckSpec } from '../../documents/deployment-group/checks-schema.js';
import { type CheckContext, type CheckProvider, type CheckReading, renderTemplate } from './check.js';
import { maskText } from './secrets.js';

export const httpProvider: CheckProvider = {
  async measure(
    spec: CheckSpec,
    ctx: CheckContext,
    signal: AbortSignal,
    masker: SecretMasker,
  ): Promise<CheckReading> {
    if (spec.provider !== 'http') return { error: `not an http check: ${spec.provider}` };
    const init: RequestInit = { method: spec.method ?? 'GET', signal };
    if (spec.headers) init.headers = spec.headers;
    if (spec.body !== undefined && init.method === 'POST') init.body = renderTemplate(spec.body, ctx);
    const res = await fetch(renderTemplate(spec.url, ctx), init);
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const shown = maskText(masker, text);
    const output = shown.length > 2000 ? `${shown.slice(0, 2000)}…` : shown;
    return { vars: { status: res.status, body, text }, measured: { status: res.status }, output };
  },
};
