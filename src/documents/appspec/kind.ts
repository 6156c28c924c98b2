import type { KindContext, KindModule } from '../kind.js';
import { isRecord } from '../report.js';
import { reportSchemaErrors } from '../schema-report.js';
import type { PathSegment } from '../source.js';
import { getValidator } from '../validators.js';
import { checkEcsRules } from './ecs-rules.js';
import { checkLambdaRules } from './lambda-rules.js';
import {
  detectPlatform,
  EC2_ONLY_SECTIONS,
  normalizeServiceAppSpec,
  writtenServiceKeys,
} from './normalize.js';
import { checkEc2Rules } from './rules.js';
import { EC2_HOOKS } from './types.js';
import { checkVersion } from './version-rules.js';

const BUILDSPEC_KEYS = new Set([
  'phases',
  'pre_build',
  'build',
  'post_build',
  'install',
  'artifacts',
  'env',
  'commands',
]);

function explainEc2UnknownKey(path: readonly PathSegment[], key: string) {
  if (path.length === 1) {
    if ((EC2_HOOKS as readonly string[]).includes(key)) {
      return {
        message: `\`${key}\` is a lifecycle event written at the top level, where it is ignored; hooks go under \`hooks:\``,
        hint: `indent it under \`hooks:\``,
      };
    }
    if (key.toLowerCase() === 'resources') {
      return {
        message: `\`${key}\` is an ECS/Lambda AppSpec section; an EC2/on-premises AppSpec (with \`os\`) ignores it`,
      };
    }
    if (BUILDSPEC_KEYS.has(key)) {
      return { message: `\`${key}\` is a buildspec key, not an AppSpec key; CodeDeploy ignores it` };
    }
  }
  if (path[0] === 'files' && path.length === 3 && key === 'overwrite') {
    return {
      message: '`overwrite` is not an AppSpec files key (a common myth) and is ignored',
      hint: 'use the top-level `file_exists_behavior: OVERWRITE`',
    };
  }
  if (path[0] === 'permissions' && path[2] === 'context' && path.length === 4 && key === 'user') {
    return {
      message:
        '`user` is what the AppSpec docs show for an SELinux context, but the CodeDeploy agent reads `name`; `user` is ignored',
      hint: 'write `name:` instead of `user:`',
    };
  }
  if (
    path[0] === 'hooks' &&
    path.length === 4 &&
    (key === 'commands' || key === 'command' || key === 'script')
  ) {
    return {
      message: `hook scripts take location, timeout and runas; \`${key}\` is ignored`,
      hint: 'put the commands in a script file and give its path as `location`',
    };
  }
  return undefined;
}

/** Content that only an AppSpec has. */
function detect(value: unknown): number {
  if (!isRecord(value)) return 0;
  const keys = Object.keys(value).map((k) => k.toLowerCase());
  let score = 0;
  if (keys.includes('version') && (value.version === 0 || value.version === '0.0' || value.Version === 0))
    score += 0.4;
  if (keys.includes('os')) score += 0.4;
  if (keys.includes('files') && Array.isArray(value.files)) score += 0.2;
  if (keys.includes('file_exists_behavior') || keys.includes('permissions')) score += 0.3;
  if (keys.includes('hooks')) score += 0.3;
  if (keys.includes('resources')) {
    const r = value.Resources ?? value.resources;
    const text = JSON.stringify(r ?? '');
    if (
      /AWS::(ECS::Service|Lambda::Function)|TaskDefinition|LoadBalancerInfo|currentversion|targetversion/i.test(
        text,
      )
    )
      score += 0.6;
    else score += 0.1;
  }
  if (keys.includes('phases') || keys.includes('pipeline') || keys.includes('stages')) score -= 0.5;
  return Math.max(0, Math.min(1, score));
}

function check(ctx: KindContext): void {
  const raw = ctx.value;
  if (!isRecord(raw)) {
    const v = getValidator('appspec-ec2');
    v(raw);
    reportSchemaErrors(v.errors ?? [], ctx.reporter, { prefix: 'appspec' });
    return;
  }
  const platform = detectPlatform(raw);
  const skipVersion = (path: readonly PathSegment[]) =>
    typeof path[0] === 'string' && path[0].toLowerCase() === 'version';
  const skipMissingVersion = (path: readonly PathSegment[], e: { keyword: string; params: unknown }) =>
    skipVersion(path) ||
    (path.length === 0 &&
      e.keyword === 'required' &&
      (e.params as { missingProperty?: string }).missingProperty === 'version');
  checkVersion(ctx, raw, platform);
  if (platform === 'ec2') {
    const v = getValidator('appspec-ec2');
    if (!v(raw))
      reportSchemaErrors(v.errors ?? [], ctx.reporter, {
        prefix: 'appspec',
        explainUnknownKey: explainEc2UnknownKey,
        skip: skipMissingVersion,
      });
    checkEc2Rules(ctx, raw);
    return;
  }
  checkKeyCasing(ctx, raw);
  const doc = normalizeServiceAppSpec(raw) as Record<string, unknown>;
  const v = getValidator(platform === 'ecs' ? 'appspec-ecs' : 'appspec-lambda');
  const explainStraySection = (path: readonly PathSegment[], key: string) =>
    path.length === 1 && (EC2_ONLY_SECTIONS as readonly string[]).includes(key)
      ? {
          message: `\`${key}\` is an EC2/on-premises AppSpec section, but this AppSpec is for ${platform === 'ecs' ? 'ECS (its Resources hold a TargetService)' : 'Lambda (its Resources hold a function)'}; CodeDeploy ignores \`${key}\` here`,
          hint: 'remove it (a leftover from an EC2 AppSpec?)',
        }
      : undefined;
  if (!v(doc))
    reportSchemaErrors(v.errors ?? [], ctx.reporter, {
      prefix: 'appspec',
      skip: skipMissingVersion,
      explainUnknownKey: explainStraySection,
    });
  if (platform === 'ecs') checkEcsRules(ctx, doc);
  else checkLambdaRules(ctx, doc);
}

/**
 * CodeDeploy matches ECS/Lambda keys case-insensitively, so odd casings work; warn where a key is in
 * neither documented spelling (PascalCase, or the all-lowercase Lambda reference form) or where one
 * file mixes the two.
 */
function checkKeyCasing(ctx: KindContext, raw: Record<string, unknown>): void {
  const keys = writtenServiceKeys(raw).filter((k) => k.canonical !== 'version');
  const lower = keys.filter((k) => k.written !== k.canonical && k.written === k.canonical.toLowerCase());
  const pascal = keys.filter((k) => k.written === k.canonical);
  for (const k of keys) {
    if (k.written === k.canonical || k.written === k.canonical.toLowerCase()) continue;
    ctx.reporter.report(
      'appspec/key-casing',
      k.path,
      `\`${k.written}\` is matched case-insensitively; the documented spelling is \`${k.canonical}\``,
      {
        part: 'key',
      },
    );
  }
  if (lower.length > 0 && pascal.length > 0) {
    const minority = lower.length <= pascal.length ? lower[0]! : pascal[0]!;
    ctx.reporter.report(
      'appspec/key-casing',
      minority.path,
      `this AppSpec mixes PascalCase keys (\`${pascal[0]!.written}\`) and lowercase keys (\`${lower[0]!.written}\`); CodeDeploy accepts both, but pick one`,
      { part: 'key' },
    );
  }
}

export const appspecKind: KindModule = {
  kind: 'appspec',
  detect,
  check,
  normalize: (value) => (detectPlatform(value) === 'ec2' ? value : normalizeServiceAppSpec(value)),
};
