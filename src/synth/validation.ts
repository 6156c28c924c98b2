/**
 * Runs `conveyor validate`'s checks over an emitted file. The validator (src/spec/validate.ts) is
 * built on another branch; until it is merged this resolves it at run time and, when it is absent,
 * applies no extra rules (the AWS shape checks in synth still run).
 */
import type { Diagnostic } from '../spec/diagnostics.js';
import type { OutputKind } from './emit/outputs.js';

type ValidateText = (
  text: string,
  file: string,
  options: { kind: string },
) => readonly Diagnostic[] | Promise<readonly Diagnostic[]>;

let validator: Promise<ValidateText | undefined> | undefined;

async function loadValidator(): Promise<ValidateText | undefined> {
  const specifier = '../spec/validate.js';
  try {
    const mod = (await import(specifier)) as { validateText?: ValidateText };
    return mod.validateText;
  } catch {
    return undefined;
  }
}

export async function validateEmitted(
  text: string,
  file: string,
  kind: OutputKind,
): Promise<readonly Diagnostic[]> {
  if (kind === 'deployment-config') return [];
  validator ??= loadValidator();
  const validate = await validator;
  return validate ? await validate(text, file, { kind }) : [];
}
