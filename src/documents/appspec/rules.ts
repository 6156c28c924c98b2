/**
 * Semantic rules for an AppSpec, by compute platform. Each rule family has its own file: version-rules.ts,
 * hook-rules.ts, file-rules.ts, permission-rules.ts (EC2/on-premises), ecs-rules.ts and lambda-rules.ts; the
 * EC2/on-premises entry is here.
 */
import type { KindContext } from '../kind.js';
import { isRecord } from '../report.js';
import { checkFiles } from './file-rules.js';
import { checkEc2Hooks } from './hook-rules.js';
import { checkPermission } from './permission-rules.js';

export function checkEc2Rules(ctx: KindContext, doc: Record<string, unknown>): void {
  const os = doc.os;
  if (isRecord(doc.hooks)) checkEc2Hooks(ctx, doc.hooks, os);
  if (Array.isArray(doc.files)) checkFiles(ctx, doc.files, os);
  if (Array.isArray(doc.permissions)) {
    if (os === 'windows') {
      ctx.reporter.report(
        'appspec/permissions-windows',
        ['permissions'],
        '`permissions` apply only to Linux instances; this AppSpec targets os: windows',
        {
          part: 'key',
        },
      );
    }
    doc.permissions.forEach((perm, i) => {
      if (isRecord(perm)) checkPermission(ctx, perm, ['permissions', i]);
    });
  }
}
