/** Variable rules: the plain-text variables (top level and each batch build's) and the exported variable names. */
import type { KindContext } from '../kind.js';
import { checkYaml11Boolean, looksLikeSecret } from '../lints.js';
import { isRecord } from '../report.js';
import type { PathSegment } from '../source.js';

export function checkVariables(ctx: KindContext, doc: Record<string, unknown>): void {
  // Stryker disable next-line ArrayDeclaration: equivalent, a string in the list is skipped like variables that are not a mapping
  const maps: { path: PathSegment[]; value: unknown }[] = [];
  if (isRecord(doc.env)) maps.push({ path: ['env', 'variables'], value: doc.env.variables });
  if (isRecord(doc.environment_variables))
    maps.push({ path: ['environment_variables', 'plaintext'], value: doc.environment_variables.plaintext });
  const batch = isRecord(doc.batch) ? doc.batch : undefined;
  for (const listKey of ['build-list', 'build-graph'] as const) {
    const list = batch?.[listKey];
    if (!Array.isArray(list)) continue;
    list.forEach((item, i) => {
      if (isRecord(item) && isRecord(item.env))
        maps.push({ path: ['batch', listKey, i, 'env', 'variables'], value: item.env.variables });
    });
  }
  for (const { path, value } of maps) {
    if (!isRecord(value)) continue;
    for (const [name, v] of Object.entries(value)) {
      const p = [...path, name];
      if (name.startsWith('CODEBUILD_')) {
        ctx.reporter.report(
          'buildspec/reserved-variable',
          p,
          `variable \`${name}\` uses the reserved prefix CODEBUILD_; CodeBuild sets these itself`,
          {
            part: 'key',
          },
        );
      }
      const secret = looksLikeSecret(name, v);
      if (secret) {
        ctx.reporter.report(
          'buildspec/plaintext-secret',
          p,
          `variable \`${name}\` holds ${secret} in plain text in the buildspec`,
          { hint: 'move it to `env.parameter-store` or `env.secrets-manager`' },
        );
      }
      checkYaml11Boolean(ctx, 'buildspec/yaml11-boolean', p);
    }
  }
  if (isRecord(doc.env)) {
    const exported = doc.env['exported-variables'];
    // One name, or a list of them; anything else holds no name (the schema reports its type).
    const names: unknown[] = Array.isArray(exported) ? exported : [exported];
    names.forEach((n, i) => {
      if (typeof n === 'string' && n.startsWith('AWS_')) {
        const path =
          typeof exported === 'string' ? ['env', 'exported-variables'] : ['env', 'exported-variables', i];
        ctx.reporter.report(
          'buildspec/exported-variable-name',
          path,
          `exported variable \`${n}\` starts with AWS_, which CodeBuild does not export`,
        );
      }
    });
  }
}
