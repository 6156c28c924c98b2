/** The AppSpec version rule. */
import type { KindContext } from '../kind.js';
import { describeValue } from '../report.js';
import type { ComputePlatform } from './types.js';

/** The version rule replaces the schema's union message: "version is 1.0; the only AppSpec version is 0.0". */
export function checkVersion(
  ctx: KindContext,
  doc: Record<string, unknown>,
  platform: ComputePlatform,
): void {
  const key = Object.keys(doc).find((k) => k.toLowerCase() === 'version');
  if (key === undefined) {
    ctx.reporter.report(
      'appspec/version',
      // Stryker disable next-line ArrayDeclaration: equivalent, a path to a key the document lacks is located at the document, as [] is
      [],
      'missing required key `version` at the top level; AppSpec files need `version: 0.0`',
    );
    return;
  }
  const v = doc[key];
  const written = ctx.source.scalarStyle([key])?.text ?? describeValue(v);
  if (v === 0) {
    if (written !== '0.0') {
      ctx.reporter.report(
        'appspec/version-format',
        [key],
        `version is written \`${written}\`; the AppSpec version is written 0.0`,
        {
          hint: 'write `version: 0.0` (equal in value, but tools that compare text or types may reject other spellings)',
        },
      );
    }
    return;
  }
  if (typeof v === 'string' && v.trim() === '0.0') {
    if (platform === 'ec2') {
      ctx.reporter.report(
        'appspec/quoted-version',
        [key],
        `version is the string ${written}; the CodeDeploy agent compares it with the number 0.0 and rejects a string`,
        {
          hint: 'write `version: 0.0` without quotes',
        },
      );
    }
    return;
  }
  ctx.reporter.report('appspec/version', [key], `version is ${written}; the only AppSpec version is 0.0`);
}
