import { isAbsolute, join, posix, resolve } from 'node:path';
import type { KindContext } from '../kind.js';
import { checkYaml11Boolean } from '../lints.js';
import { describeValue, isRecord, suggest } from '../report.js';
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
  if (v === '0.0' || (typeof v === 'string' && v.trim() === '0.0')) {
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

function hookListCheck(
  ctx: KindContext,
  name: string,
  path: PathSegment[],
  platform: ComputePlatform,
): boolean {
  const allowed = HOOKS_BY_PLATFORM[platform];
  if (allowed.includes(name)) return true;
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
    return false;
  }
  const other = (Object.keys(HOOKS_BY_PLATFORM) as ComputePlatform[]).find(
    (p) => p !== platform && HOOKS_BY_PLATFORM[p].includes(name),
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
  return false;
}

// ---------------------------------------------------------------- EC2

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

function checkEc2Hooks(ctx: KindContext, hooks: Record<string, unknown>, os: unknown): void {
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
      if (typeof t === 'number' && Number.isInteger(t)) seconds = t;
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

function checkFiles(ctx: KindContext, files: unknown[], os: unknown): void {
  files.forEach((entry, i) => {
    if (!isRecord(entry)) return;
    const p: PathSegment[] = ['files', i];
    const source = entry.source;
    if (typeof source === 'string') {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) {
        ctx.reporter.report(
          'appspec/file-source-url',
          [...p, 'source'],
          `files source \`${source}\` is a URL; a source is a path inside the revision (\`/\` for all of it)`,
        );
      } else {
        const rel = source.replace(/\\/g, '/').replace(/^\/+/, '');
        const normal = rel === '' ? '.' : posix.normalize(rel);
        if (normal === '..' || normal.startsWith('../')) {
          ctx.reporter.report(
            'appspec/file-source-escapes',
            [...p, 'source'],
            `files source \`${source}\` points outside the revision folder`,
          );
        } else if (ctx.revisionDir !== undefined) {
          const abs = resolve(ctx.revisionDir, normal);
          if (normal !== '.' && !ctx.fileExists(abs)) {
            ctx.reporter.report(
              'appspec/file-source-missing',
              [...p, 'source'],
              `files source \`${source}\` does not exist in the revision`,
            );
          } else {
            checkLinksOutside(ctx, ctx.revisionDir, abs, source, [...p, 'source']);
          }
        }
      }
    }
    const dest = entry.destination;
    if (typeof dest === 'string') {
      const windowsAbsolute = /^[A-Za-z]:[\\/]/.test(dest) || dest.startsWith('\\\\');
      const absolute =
        os === 'windows'
          ? windowsAbsolute || dest.startsWith('/') || dest.startsWith('\\')
          : dest.startsWith('/');
      if (!absolute && !isAbsolute(dest)) {
        ctx.reporter.report(
          'appspec/file-destination-relative',
          [...p, 'destination'],
          `files destination \`${dest}\` is not a fully qualified path; the agent would place files relative to its own working folder`,
        );
      }
    }
  });
}

/** At most this many links are named per source; the rest are counted. */
const LINKS_NAMED = 5;

function checkLinksOutside(
  ctx: KindContext,
  revisionDir: string,
  abs: string,
  source: string,
  path: PathSegment[],
): void {
  const links = ctx.linksOutside?.(abs, revisionDir) ?? [];
  for (const { link, target } of links.slice(0, LINKS_NAMED)) {
    ctx.reporter.report(
      'appspec/link-outside-revision',
      path,
      `files source \`${source}\` holds the link \`${link}\` -> \`${target}\`, which points outside the revision; it is installed as a link, and nothing is written or given permissions through it`,
    );
  }
  if (links.length > LINKS_NAMED) {
    ctx.reporter.report(
      'appspec/link-outside-revision',
      path,
      `files source \`${source}\` holds ${links.length - LINKS_NAMED} more links that point outside the revision`,
    );
  }
}

const ACL_PERMS = /^([0-7]|[rwx-]{1,3})$/;

function checkPermission(ctx: KindContext, perm: Record<string, unknown>, p: PathSegment[]): void {
  for (const key of ['owner', 'group']) checkYaml11Boolean(ctx, 'appspec/yaml11-boolean', [...p, key]);
  const mode = perm.mode;
  if (mode !== undefined) {
    const style = ctx.source.scalarStyle([...p, 'mode']);
    if (typeof mode === 'number' && style?.type === 'PLAIN' && /^0[0-7]+$/.test(style.text)) {
      ctx.reporter.report(
        'appspec/octal-mode',
        [...p, 'mode'],
        `mode ${style.text} is unquoted: the CodeDeploy agent's YAML 1.1 parser reads a leading zero as octal (${style.text} becomes ${Number.parseInt(style.text, 8)}), giving the wrong permissions`,
        {
          hint: `quote it ("${style.text}") or drop the leading zero (${style.text.replace(/^0+(?=\d{3})/, '')})`,
        },
      );
    } else {
      const text = style?.type === 'PLAIN' && typeof mode === 'number' ? style.text : String(mode);
      if (!/^[0-7]{1,4}$/.test(text)) {
        ctx.reporter.report(
          'appspec/permission-mode',
          [...p, 'mode'],
          `mode is ${describeValue(mode)}; a mode is 3 or 4 octal digits (0-7), such as 644 or "0755"`,
        );
      }
    }
  }
  if (Array.isArray(perm.acls)) {
    const isFileOnly = Array.isArray(perm.type) && perm.type.length === 1 && perm.type[0] === 'file';
    perm.acls.forEach((ace, i) => {
      if (typeof ace !== 'string') return;
      const problem = aclProblem(ace, isFileOnly);
      if (problem)
        ctx.reporter.report('appspec/acl-entry', [...p, 'acls', i], `acl entry \`${ace}\` ${problem}`);
    });
  }
  if (isRecord(perm.context) && typeof perm.context.range === 'string') {
    if (!/^s\d+(-s\d+)?(:c\d+(\.c\d+)?(,c\d+(\.c\d+)?)*)?$/.test(perm.context.range)) {
      ctx.reporter.report(
        'appspec/selinux-range',
        [...p, 'context', 'range'],
        `SELinux range \`${perm.context.range}\` is not of the form s<low>[-s<high>][:c<a>[.c<b>],...]`,
      );
    }
  }
}

/** ACL entries: `[d[efault]:][u[ser]|g[roup]|m[ask]|o[ther]]:[name]:perms`. */
export function aclProblem(ace: string, fileOnly: boolean): string | undefined {
  const parts = ace.split(':');
  let isDefault = false;
  if (parts.length >= 3 && /^d(efault)?$/.test(parts[0]!)) {
    isDefault = true;
    parts.shift();
  }
  if (parts.length < 2 || parts.length > 3)
    return 'must look like `u:name:rwx`, `g:name:rw`, `m::r` or `d:u:name:rx`';
  const [type, name, perms] = parts.length === 3 ? parts : [parts[0], '', parts[1]];
  if (!/^(u(ser)?|g(roup)?|m(ask)?|o(ther)?)$/.test(type ?? ''))
    return `has type \`${type}\`; allowed: u, g, m, o (user, group, mask, other)`;
  if (!ACL_PERMS.test(perms ?? ''))
    return `has permissions \`${perms}\`; write one octal digit or letters from rwx-`;
  const isMaskOrOther = /^(m|o)/.test(type ?? '');
  if (isMaskOrOther && name) return 'names a user or group, but mask and other entries take no name';
  if (!isMaskOrOther && !name && !isDefault)
    return 'has no user or group name; use `mode` to set the base entry';
  if (isDefault && fileOnly) return 'is a default ACL entry, which applies only to directories';
  return undefined;
}

// ---------------------------------------------------------------- ECS and Lambda

export function checkServiceHooks(
  ctx: KindContext,
  doc: Record<string, unknown>,
  platform: ComputePlatform,
): void {
  if (!Array.isArray(doc.Hooks)) return;
  const key = Object.keys(ctx.value as object).find((k) => k.toLowerCase() === 'hooks') ?? 'Hooks';
  doc.Hooks.forEach((entry, i) => {
    if (!isRecord(entry)) return;
    for (const name of Object.keys(entry)) hookListCheck(ctx, name, [key, i, name], platform);
  });
}

const TASK_DEFINITION_ARN =
  /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition\/[A-Za-z0-9_-]+(:[0-9]+)?$/;

export function checkEcsRules(ctx: KindContext, doc: Record<string, unknown>): void {
  checkServiceHooks(ctx, doc, 'ecs');
  if (!Array.isArray(doc.Resources)) return;
  doc.Resources.forEach((entry, i) => {
    if (!isRecord(entry)) return;
    for (const [name, resource] of Object.entries(entry)) {
      if (!isRecord(resource) || !isRecord(resource.Properties)) continue;
      const props = resource.Properties;
      const p: PathSegment[] = ['Resources', i, name, 'Properties'];
      const td = props.TaskDefinition;
      if (
        typeof td === 'string' &&
        td !== '' &&
        td !== '<TASK_DEFINITION>' &&
        !TASK_DEFINITION_ARN.test(td)
      ) {
        ctx.reporter.report(
          'appspec/ecs-task-definition',
          [...p, 'TaskDefinition'],
          `TaskDefinition is ${describeValue(td)}; expected a task definition ARN, or the placeholder <TASK_DEFINITION> that CodePipeline fills in`,
        );
      }
      if (isRecord(props.LoadBalancerInfo)) {
        const port = props.LoadBalancerInfo.ContainerPort;
        const pp = [...p, 'LoadBalancerInfo', 'ContainerPort'];
        const n =
          typeof port === 'number'
            ? port
            : typeof port === 'string' && /^[0-9]+$/.test(port)
              ? Number(port)
              : undefined;
        if (typeof port === 'string' && n !== undefined) {
          ctx.reporter.report(
            'appspec/container-port',
            pp,
            `ContainerPort is the string "${port}"; the reference types it as a number`,
            {
              hint: `write \`ContainerPort: ${n}\``,
            },
          );
        }
        if (n !== undefined && (n < 1 || n > 65535)) {
          ctx.reporter.report('appspec/container-port', pp, `ContainerPort is ${n}; a port is 1 to 65535`);
        }
      }
      const net = isRecord(props.NetworkConfiguration)
        ? props.NetworkConfiguration.AwsvpcConfiguration
        : undefined;
      if (isRecord(net)) {
        const parts = ['Subnets', 'SecurityGroups', 'AssignPublicIp'];
        const given = parts.filter((k) => net[k] !== undefined);
        if (given.length > 0 && given.length < parts.length) {
          const missing = parts.filter((k) => !given.includes(k));
          ctx.reporter.report(
            'appspec/ecs-network-configuration',
            [...p, 'NetworkConfiguration', 'AwsvpcConfiguration'],
            `AwsvpcConfiguration sets ${given.join(', ')} but not ${missing.join(', ')}; give all three or none`,
          );
        }
      }
      if (Array.isArray(props.CapacityProviderStrategy)) {
        const strategy = props.CapacityProviderStrategy.filter(isRecord);
        const withBase = strategy.filter((s) => typeof s.Base === 'number' && s.Base > 0);
        if (withBase.length > 1) {
          ctx.reporter.report(
            'appspec/ecs-capacity-provider',
            [...p, 'CapacityProviderStrategy'],
            `${withBase.length} capacity providers set a Base above 0; only one may`,
          );
        }
        if (strategy.length > 0 && !strategy.some((s) => typeof s.Weight === 'number' && s.Weight > 0)) {
          ctx.reporter.report(
            'appspec/ecs-capacity-provider',
            [...p, 'CapacityProviderStrategy'],
            'no capacity provider has a Weight above 0; at least one must',
          );
        }
      }
    }
  });
}

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
          (typeof v === 'number' && Number.isInteger(v) && v > 0) ||
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
