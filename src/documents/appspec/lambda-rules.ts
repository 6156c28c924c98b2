/** Lambda rules: a Lambda AppSpec's hooks and its function resource (versions, name and alias). */
import type { KindContext } from '../kind.js';
import { checkYaml11Boolean } from '../lints.js';
import { describeValue, isRecord } from '../report.js';
import { checkServiceHooks } from './hook-rules.js';

export function checkLambdaRules(ctx: KindContext, doc: Record<string, unknown>): void {
  checkServiceHooks(ctx, doc, 'lambda');
  if (!Array.isArray(doc.Resources)) return;
  doc.Resources.forEach((entry, i) => {
    if (!isRecord(entry)) return;
    for (const [name, resource] of Object.entries(entry)) {
      if (!isRecord(resource) || !isRecord(resource.Properties)) continue;
      for (const key of ['CurrentVersion', 'TargetVersion'] as const) {
        const v = resource.Properties[key];
        if (v === undefined) continue;
        const ok =
          (Number.isInteger(v) && (v as number) > 0) ||
          (typeof v === 'string' && /^[1-9][0-9]*$/.test(v.trim()));
        if (!ok) {
          ctx.reporter.report(
            'appspec/lambda-version',
            ['Resources', i, name, 'Properties', key],
            `${key} is ${describeValue(v)}; a Lambda version is a positive whole number such as 3`,
          );
        }
      }
      const props = resource.Properties;
      for (const key of ['Name', 'Alias'] as const)
        checkYaml11Boolean(ctx, 'appspec/yaml11-boolean', ['Resources', i, name, 'Properties', key]);
      if (
        props.CurrentVersion !== undefined &&
        String(props.CurrentVersion) === String(props.TargetVersion)
      ) {
        ctx.reporter.report(
          'appspec/lambda-same-version',
          ['Resources', i, name, 'Properties', 'TargetVersion'],
          `TargetVersion equals CurrentVersion (${String(props.TargetVersion)}); the deployment would shift traffic to the version already serving it`,
        );
      }
    }
  });
}
