/**
 * Runs `conveyor validate`'s checks (schema, semantic rules, YAML-typing lints) over one emitted
 * document. Deployment configs have no validator kind; synth checks them against the CodeDeploy
 * model itself (aws-shapes.ts, deployment-config-rules.ts). IAM policies are derived, not authored.
 */
import type { Diagnostic } from '../documents/diagnostics.js';
import { validateText } from '../documents/validate.js';
import type { OutputKind } from './emit/outputs.js';

export function validateEmitted(text: string, file: string, kind: OutputKind): readonly Diagnostic[] {
  // AWS API inputs without a validator kind: synth checks these itself.
  if (kind === 'deployment-config' || kind === 'iam-policy') return [];
  return validateText(text, file, { kind }).diagnostics;
}
