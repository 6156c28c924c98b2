/**
 * Conformance over the real-world corpus (../shared/corpus/MANIFEST.tsv, relative to the repo root):
 * every `valid` file validates with no error (and `[warn]` rows get a warning), every `invalid` file gets
 * an error, and for the rows below the error comes from the rule that names the manifest's reason.
 * `either` rows are not scored (AWS's behaviour is not documented). Skipped when the corpus is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectKind } from '../../src/documents/detect.js';
import type { DocumentKind } from '../../src/documents/kind.js';
import { parseSource } from '../../src/documents/source.js';
import { validateText } from '../../src/documents/validate.js';

const root = join(import.meta.dirname, '../..');
// CI keeps the corpus at ../shared/corpus from the repo root; worktrees sit one folder deeper.
const corpus =
  [process.env.CONVEYOR_CORPUS, join(root, '../shared/corpus'), join(root, '../../shared/corpus')].find(
    (dir): dir is string => dir !== undefined && existsSync(join(dir, 'MANIFEST.tsv')),
  ) ?? join(root, '../shared/corpus');
const manifest = join(corpus, 'MANIFEST.tsv');

interface Row {
  file: string;
  kind: string;
  expected: 'valid' | 'invalid' | 'either';
  reason: string;
}

const rows: Row[] = existsSync(manifest)
  ? readFileSync(manifest, 'utf8')
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const [file, , , kind, expected, reason] = l.split('\t');
        // TSV fields holding quotes are written CSV-style: "…""…"
        const unquoted = (reason ?? '').replace(/^"(.*)"$/s, '$1').replace(/""/g, '"');
        return { file: file!, kind: kind!, expected: expected as Row['expected'], reason: unquoted };
      })
  : [];

/** The rule that expresses each invalid row's reason (read from MANIFEST.tsv's reason column). */
const REASON_RULES: Record<string, string[]> = {
  'appspec-ec2/0308bae__ReactSpringboot__appspec.yml': ['appspec/hook-timeout-max'],
  'appspec-ec2/07rv__nodejs_ci_cd__appspec.yml': ['appspec/invalid-value', 'appspec/missing-key'],
  'appspec-ec2/Abdelali12-codes__aws_codedeploy_ecs_lambda_ec2__ec2_appspec.yml': ['appspec/invalid-value'],
  'appspec-ec2/ramanjulreddykotlo__aws-devops-project__python-app_appspec.yml': ['appspec/file-source-url'],
  'broken/appspec-ec2__timeout-4000.yml': ['appspec/hook-timeout-max'],
  'broken/appspec-ec2__version-1.0.yml': ['appspec/version'],
  'appspec-ecs/35middle__35middle-app__appspec.json': [
    'appspec/version',
    'appspec/invalid-value',
    'appspec/ecs-task-definition',
  ],
  'appspec-ecs/MarcoBarbaroCorley__CodeDeployApp__appspec.json': ['source/json-syntax'],
  'appspec-ecs/ThoseGrapefruits__pwa-starter-kit__appspec.yaml': ['appspec/version'],
  'appspec-ecs/chrispsheehan__aws-serverless-github-deploy__config_deploy_appspec-ecs.yml': [
    'appspec/invalid-value',
  ],
  'broken/appspec-ecs__ec2-hook-ApplicationStart.json': ['appspec/hook-name'],
  'appspec-lambda/Abdelali12-codes__aws_codedeploy_ecs_lambda_ec2__lambda_appspec.yml': [
    'appspec/version',
    'appspec/lambda-version',
  ],
  'appspec-lambda/CLEMENTJOHNSHAJI__podinfo-deployment-system__deployment_codedeploy_appspec-lambda.yml': [
    'source/unknown-tag',
    'appspec/lambda-version',
  ],
  'appspec-lambda/melike-kaya__CressoftTask__appspec-lambda.yml': ['appspec/lambda-version'],
  'broken/appspec-lambda__missing-TargetVersion.yml': ['appspec/missing-key'],
  'buildspec/01testcloud786__website__buildspec.yml': ['source/empty'],
  'buildspec/ca-risken__core__codebuild_multi-arch_buildspec-batch.yml': ['buildspec/missing-key'],
  'broken/buildspec__alias-bomb.yml': ['source/alias-limit'],
  'broken/buildspec__colon-space-command.yml': ['buildspec/invalid-type'],
  'broken/buildspec__tab-indented.yml': ['source/tab-indent'],
  'pipeline/Emilis01__aws-elastic-beanstalk-express-js-sample__pipeline.json': ['source/json-syntax'],
  'pipeline/ramanjulreddykotlo__aws-devops-project__codepipeline.json': [
    'pipeline/artifact-store',
    'pipeline/artifact-count',
  ],
  'pipeline/seroche__payment-gateway-api__ci_codepipeline.json': ['pipeline/invalid-value'],
  'broken/pipeline__duplicate-action-names.json': ['pipeline/duplicate-action-name'],
  'broken/pipeline__trailing-comma.json': ['source/json-syntax'],
};

/**
 * Rows whose manifest verdict follows the reference where AWS's behaviour says otherwise (docs/rules.md:
 * "follow the evidence"). Each is scored with the verdict here, and must still get the named warning.
 */
const EVIDENCE_OVERRIDES: Record<string, { expected: 'valid'; warning: string; why: string }> = {
  'buildspec/0xKMT__Deploying-a-Bulletproof-Photo-Sharing-App-with-DevSecOps-Chaos-Engineering__buildspec.yml':
    {
      expected: 'valid',
      warning: 'buildspec/empty-command',
      why: 'its only defect is `- # comment` items (empty commands); CodeBuild runs such lists, as AWS release buildspecs with bare `-` separators show (issue #14, class 1)',
    },
};

const toKind = (k: string): DocumentKind => (k.startsWith('appspec') ? 'appspec' : (k as DocumentKind));

describe.skipIf(rows.length === 0)('real-world corpus (../shared/corpus)', () => {
  const scored = rows
    .filter((r) => r.expected !== 'either')
    .map((r) => {
      const o = EVIDENCE_OVERRIDES[r.file];
      return o ? { ...r, expected: o.expected, reason: `[warn] ${o.why}` } : r;
    });

  describe.each(scored)('$file ($expected)', (row) => {
    const text = readFileSync(join(corpus, row.file), 'utf8');
    const result = validateText(text, row.file, { kind: toKind(row.kind) });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');

    if (row.expected === 'valid') {
      it('has no error', () => {
        expect(errors.map((d) => `${d.line}:${d.col} ${d.ruleId} ${d.message}`)).toEqual([]);
      });
      if (row.reason.startsWith('[warn]')) {
        it('gets a warning for what AWS silently ignores', () => {
          expect(result.diagnostics.some((d) => d.severity === 'warning')).toBe(true);
          const named = EVIDENCE_OVERRIDES[row.file]?.warning;
          if (named) expect(result.diagnostics.map((d) => d.ruleId)).toContain(named);
        });
      }
    } else {
      it('gets an error for the documented reason', () => {
        expect(errors.length).toBeGreaterThan(0);
        const wanted = REASON_RULES[row.file];
        if (wanted) expect(errors.map((d) => d.ruleId)).toEqual(expect.arrayContaining(wanted));
      });
    }

    it('is detected as its kind from content', () => {
      const parsed = parseSource(text, row.file);
      if (parsed.value === undefined || parsed.value === null) return; // unreadable: nothing to detect from
      expect(detectKind(row.file, parsed.value)).toBe(toKind(row.kind));
    });
  });
});

describe.skipIf(rows.length > 0)('real-world corpus', () => {
  it.skip('skipped: ../shared/corpus/MANIFEST.tsv is not present next to the repository', () => {});
});
