/**
 * Reading a deployment group file for the deploy commands: the shared validator (`conveyor validate`'s
 * positioned parser, schema and this kind's rules) decides; nothing here throws for a user's mistake.
 */
import { dirname, resolve } from 'node:path';
import { errorMessage } from '../../core/errors.js';
import { readTextFile } from '../../core/files.js';
import type { Diagnostic } from '../diagnostics.js';
import { validateText } from '../validate.js';
import type { DeploymentGroup } from './schema.js';

export interface LoadedGroup {
  group: DeploymentGroup;
  /** Absolute path of the file. */
  file: string;
  /** Folder of the file: relative paths in it (rollback hooks, state) resolve from here. */
  dir: string;
}

export function checkDeploymentGroupText(
  text: string,
  file: string,
  ignoreRules: readonly string[] = [],
): { group?: DeploymentGroup; diagnostics: Diagnostic[] } {
  const result = validateText(text, file, { kind: 'deployment-group' });
  const value = result.value;
  const diagnostics = result.diagnostics.filter((d) => !ignoreRules.includes(d.ruleId));
  if (diagnostics.some((d) => d.severity === 'error') || value === undefined) return { diagnostics };
  return { group: value as DeploymentGroup, diagnostics };
}

/** Reads and checks a group file; `loaded` is set only when there is no error. */
export function loadDeploymentGroup(
  path: string,
  options: { ignoreRules?: readonly string[] } = {},
): { loaded?: LoadedGroup; diagnostics: Diagnostic[] } {
  const file = resolve(path);
  let text: string;
  try {
    text = readTextFile(file);
  } catch (err) {
    return {
      diagnostics: [
        {
          ruleId: 'io/read',
          severity: 'error',
          file: path,
          line: 0,
          col: 0,
          message: `cannot read: ${errorMessage(err)}`,
        },
      ],
    };
  }
  const checked = checkDeploymentGroupText(text, file, options.ignoreRules);
  const { group, diagnostics } = checked;
  if (!group) return { diagnostics };
  return { loaded: { group, file, dir: dirname(file) }, diagnostics };
}
