/**
 * Semantic rules for a buildspec, run in a fixed order. The top-level rules (version, phases required) are here;
 * each rule family has its own file: phase-rules.ts, runtime-rules.ts, variable-rules.ts, batch-rules.ts and
 * report-rules.ts.
 */
import type { KindContext } from '../kind.js';
import { isRecord } from '../report.js';
import { checkBatch } from './batch-rules.js';
import { checkPhases } from './phase-rules.js';
import { checkReports } from './report-rules.js';
import { checkRuntimeVersions } from './runtime-rules.js';
import { checkVariables } from './variable-rules.js';

/** Semantic rules for a buildspec (run after the schema; every access is defensive). */
export function checkBuildspecRules(ctx: KindContext): void {
  const doc = ctx.value;
  if (!isRecord(doc)) return;
  const r = ctx.reporter;

  const batch = isRecord(doc.batch) ? doc.batch : undefined;
  if (typeof doc.version === 'string' && batch) {
    r.report(
      'buildspec/quoted-version',
      ['version'],
      `version is the string "${doc.version}"; batch builds need the number`,
      {
        hint: `write \`version: ${doc.version}\` without quotes`,
      },
    );
  }

  if (doc.phases === undefined && !batch) {
    r.report(
      'buildspec/phases-required',
      // Stryker disable next-line ArrayDeclaration: equivalent, a path to a key the document lacks is located at the document, as [] is
      [],
      'missing required key `phases` at the top level (only a batch buildspec may leave it out)',
    );
  }
  if (isRecord(doc.phases)) checkPhases(ctx, doc.phases);

  if ((doc.version === 0.2 || doc.version === '0.2') && doc.environment_variables !== undefined) {
    r.report(
      'buildspec/version-key',
      ['environment_variables'],
      '`environment_variables` is the version 0.1 spelling; version 0.2 ignores it',
      { part: 'key', hint: 'move the values to `env.variables`' },
    );
  }

  checkRuntimeVersions(ctx, doc);
  checkVariables(ctx, doc);
  if (batch) checkBatch(ctx, batch);
  checkReports(ctx, doc);
}
