import { UsageError } from '../core/errors.js';
import { readTextFileAsync } from '../core/files.js';

/**
 * Local stand-ins for SSM Parameter Store and Secrets Manager. Values come from a JSON file
 * (default `.conveyor/secrets.json`):
 *
 *   { "parameter-store": { "/app/db/host": "localhost" },
 *     "secrets-manager": { "prod/db": { "password": "s3cret" }, "plain-secret": "text" } }
 *
 * or, when the file has no entry, from the invoking environment under the buildspec's target variable name
 * (`DB_PASSWORD=... conveyor build`). A reference that resolves nowhere fails the build as CodeBuild does,
 * naming the parameter.
 */
export interface SecretsSource {
  parameterStore: Record<string, string>;
  secretsManager: Record<string, unknown>;
  file?: string;
}

export async function loadSecretsFile(file: string, required: boolean): Promise<SecretsSource> {
  let text: string;
  try {
    text = await readTextFileAsync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !required)
      return { parameterStore: {}, secretsManager: {} };
    throw new Error(
      `cannot read secrets file ${file}: ${err instanceof UsageError ? err.message : ((err as NodeJS.ErrnoException).code ?? String(err))}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`secrets file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const obj = (value ?? {}) as Record<string, unknown>;
  const ps = (obj['parameter-store'] ?? {}) as Record<string, unknown>;
  return {
    parameterStore: Object.fromEntries(Object.entries(ps).map(([k, v]) => [k, String(v)])),
    secretsManager: (obj['secrets-manager'] ?? {}) as Record<string, unknown>,
    file,
  };
}

export type Resolved = { ok: true; values: Record<string, string> } | { ok: false; message: string };

export function resolveSecrets(
  parameterStore: Record<string, string>,
  secretsManager: Record<string, string>,
  source: SecretsSource,
  env: Record<string, string | undefined>,
): Resolved {
  const values: Record<string, string> = {};
  const where = source.file ?? '.conveyor/secrets.json';
  for (const [envName, parameter] of Object.entries(parameterStore)) {
    const fromFile = source.parameterStore[parameter];
    const value = fromFile ?? env[envName];
    if (value === undefined) {
      return {
        ok: false,
        message:
          `Decrypted Variables Error: parameter does not exist: ${parameter} (env.parameter-store.${envName}); ` +
          `add it under "parameter-store" in ${where} or set ${envName} in the environment`,
      };
    }
    values[envName] = value;
  }
  for (const [envName, reference] of Object.entries(secretsManager)) {
    const ref = parseSecretReference(reference);
    const fromEnv = env[envName];
    const secret = source.secretsManager[ref.secretId];
    if (secret === undefined) {
      if (fromEnv !== undefined) {
        values[envName] = fromEnv;
        continue;
      }
      return {
        ok: false,
        message:
          `Secrets Manager Error: ResourceNotFoundException: secret ${ref.secretId} not found (env.secrets-manager.${envName}); ` +
          `add it under "secrets-manager" in ${where} or set ${envName} in the environment`,
      };
    }
    if (ref.jsonKey === undefined) {
      values[envName] = typeof secret === 'string' ? secret : JSON.stringify(secret);
      continue;
    }
    let object: unknown = secret;
    if (typeof secret === 'string') {
      try {
        object = JSON.parse(secret);
      } catch {
        object = undefined;
      }
    }
    const field =
      object && typeof object === 'object' ? (object as Record<string, unknown>)[ref.jsonKey] : undefined;
    if (field === undefined) {
      return {
        ok: false,
        message: `Secrets Manager Error: secret ${ref.secretId} has no JSON key '${ref.jsonKey}' (env.secrets-manager.${envName})`,
      };
    }
    values[envName] = typeof field === 'string' ? field : JSON.stringify(field);
  }
  return { ok: true, values };
}

/** `secret-id:json-key:version-stage:version-id`; a secret id may be an ARN, which has colons of its own. */
export function parseSecretReference(reference: string): { secretId: string; jsonKey?: string } {
  const parts = reference.split(':');
  const idParts = reference.startsWith('arn:') ? 7 : 1;
  const secretId = parts.slice(0, idParts).join(':');
  const jsonKey = parts[idParts];
  return jsonKey ? { secretId, jsonKey } : { secretId };
}
