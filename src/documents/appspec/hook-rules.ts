/**
 * Hook rules: the lifecycle events each compute platform may hook, and an EC2/on-premises AppSpec's hook scripts
 * (timeouts, runas, where the script is).
 */
import { join, posix } from 'node:path';
import type { KindContext } from '../kind.js';
import { checkYaml11Boolean } from '../lints.js';
import { isRecord, suggest } from '../report.js';
import type { PathSegment } from '../source.js';
import {
  type ComputePlatform,
  HOOKS_BY_PLATFORM,
  MAX_HOOK_TIMEOUT_SECONDS,
  RESERVED_HOOKS,
} from './types.js';

const A_PLATFORM: Record<ComputePlatform, string> = {
  ec2: 'an EC2/on-premises',
  ecs: 'an ECS',
  lambda: 'a Lambda',
};

function hookListCheck(ctx: KindContext, name: string, path: PathSegment[], platform: ComputePlatform): void {
  const allowed = HOOKS_BY_PLATFORM[platform];
  if (allowed.includes(name)) return;
  const where = A_PLATFORM[platform];
  if (RESERVED_HOOKS[platform].includes(name)) {
    ctx.reporter.report(
      'appspec/reserved-hook',
      path,
      `\`${name}\` is run by CodeDeploy itself and cannot have hooks; ${where} AppSpec may hook: ${allowed.join(', ')}`,
      {
        part: 'key',
      },
    );
    return;
  }
  // Not this platform's (it returned above): the platform whose event it is, if any.
  const other = (Object.keys(HOOKS_BY_PLATFORM) as ComputePlatform[]).find((p) =>
    HOOKS_BY_PLATFORM[p].includes(name),
  );
  const guess = suggest(name, allowed);
  ctx.reporter.report(
    'appspec/hook-name',
    path,
    other
      ? `\`${name}\` is ${A_PLATFORM[other]} lifecycle event; ${where} AppSpec may hook: ${allowed.join(', ')}`
      : `unknown lifecycle event \`${name}\`; ${where} AppSpec may hook: ${allowed.join(', ')}`,
    {
      part: 'key',
      ...(guess ? { hint: `did you mean \`${guess}\`?` } : {}),
    },
  );
}

export function checkEc2Hooks(ctx: KindContext, hooks: Record<string, unknown>, os: unknown): void {
  for (const [event, scripts] of Object.entries(hooks)) {
    const eventPath = ['hooks', event];
    hookListCheck(ctx, event, eventPath, 'ec2');
    if (scripts === null) {
      ctx.reporter.report(
        'appspec/empty-hook',
        eventPath,
        `lifecycle event \`${event}\` is declared with no scripts; the CodeDeploy agent iterates the event's script list without checking for an empty value and fails the deployment`,
        { part: 'key', hint: `give \`${event}\` a \`- location: script\` entry, or remove the line` },
      );
      continue;
    }
    if (!Array.isArray(scripts)) continue;
    let total = 0;
    let singleOver = false;
    scripts.forEach((script, i) => {
      if (!isRecord(script)) return;
      const p: PathSegment[] = ['hooks', event, i];
      const t = script.timeout;
      let seconds: number | undefined;
      if (Number.isInteger(t)) seconds = t as number;
      else if (typeof t === 'string' && /^\s*[0-9]+\s*$/.test(t)) {
        seconds = Number(t);
        ctx.reporter.report(
          'appspec/quoted-timeout',
          [...p, 'timeout'],
          `timeout is the string "${t}"; the agent converts it, but write a number`,
          {
            hint: `write \`timeout: ${seconds}\``,
          },
        );
      }
      if (seconds !== undefined) {
        if (seconds > MAX_HOOK_TIMEOUT_SECONDS) {
          singleOver = true;
          ctx.reporter.report(
            'appspec/hook-timeout-max',
            [...p, 'timeout'],
            `${event} script timeout ${seconds} exceeds the maximum of ${MAX_HOOK_TIMEOUT_SECONDS} seconds`,
          );
        }
        if (seconds <= 0) {
          ctx.reporter.report(
            'appspec/hook-timeout-max',
            [...p, 'timeout'],
            `${event} script timeout ${seconds} must be at least 1 second`,
          );
        }
        total += seconds;
      }
      checkYaml11Boolean(ctx, 'appspec/yaml11-boolean', [...p, 'runas']);
      if (os === 'windows' && script.runas !== undefined) {
        ctx.reporter.report(
          'appspec/runas-windows',
          [...p, 'runas'],
          '`runas` applies only to Linux instances; Windows hooks run as the agent user',
          {
            part: 'key',
          },
        );
      }
      if (typeof script.location === 'string' && ctx.revisionDir !== undefined) {
        const rel = script.location.trim().replace(/\\/g, '/').replace(/^\/+/, '');
        const escapes = posix.normalize(rel).startsWith('..');
        if (escapes) {
          ctx.reporter.report(
            'appspec/file-source-escapes',
            [...p, 'location'],
            `hook script \`${script.location}\` points outside the revision folder`,
          );
        } else if (!ctx.fileExists(join(ctx.revisionDir, rel))) {
          ctx.reporter.report(
            'appspec/hook-script-missing',
            [...p, 'location'],
            `hook script \`${script.location}\` does not exist in the revision`,
          );
        }
      }
    });
    if (!singleOver && total > MAX_HOOK_TIMEOUT_SECONDS) {
      ctx.reporter.report(
        'appspec/hook-timeout-total',
        eventPath,
        `the timeouts of ${event}'s scripts add up to ${total} seconds; one lifecycle event may take at most ${MAX_HOOK_TIMEOUT_SECONDS}`,
        { part: 'key' },
      );
    }
  }
}

export function checkServiceHooks(
  ctx: KindContext,
  doc: Record<string, unknown>,
  platform: ComputePlatform,
): void {
  if (!Array.isArray(doc.Hooks)) return;
  // doc.Hooks was read from this key, written in any case.
  const key = Object.keys(ctx.value as object).find((k) => k.toLowerCase() === 'hooks')!;
  doc.Hooks.forEach((entry, i) => {
    if (!isRecord(entry)) return;
    for (const name of Object.keys(entry)) hookListCheck(ctx, name, [key, i, name], platform);
  });
}
