/** Permission rules: an EC2/on-premises AppSpec's `permissions` (mode, ACL entries, SELinux range). */
import type { KindContext } from '../kind.js';
import { checkYaml11Boolean } from '../lints.js';
import { describeValue, isRecord } from '../report.js';
import type { PathSegment } from '../source.js';

const ACL_PERMS = /^([0-7]|[rwx-]{1,3})$/;

export function checkPermission(ctx: KindContext, perm: Record<string, unknown>, p: PathSegment[]): void {
  for (const key of ['owner', 'group']) checkYaml11Boolean(ctx, 'appspec/yaml11-boolean', [...p, key]);
  const mode = perm.mode;
  if (mode !== undefined) {
    const style = ctx.source.scalarStyle([...p, 'mode']);
    // Unquoted digits are a number to YAML: the agent's YAML 1.1 reads a leading zero as octal.
    if (style?.type === 'PLAIN' && /^0[0-7]+$/.test(style.text)) {
      ctx.reporter.report(
        'appspec/octal-mode',
        [...p, 'mode'],
        `mode ${style.text} is unquoted: the CodeDeploy agent's YAML 1.1 parser reads a leading zero as octal (${style.text} becomes ${Number.parseInt(style.text, 8)}), giving the wrong permissions`,
        {
          hint: `quote it ("${style.text}") or drop the leading zero (${style.text.replace(/^0+(?=\d{3})/, '')})`,
        },
      );
    } else {
      // A number as written (644.0 is not 644); an unquoted word is its own text.
      const text = style?.type === 'PLAIN' ? style.text : String(mode);
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
function aclProblem(ace: string, fileOnly: boolean): string | undefined {
  const parts = ace.split(':');
  let isDefault = false;
  if (parts.length >= 3 && /^d(efault)?$/.test(parts[0]!)) {
    isDefault = true;
    parts.shift();
  }
  if (parts.length < 2 || parts.length > 3)
    return 'must look like `u:name:rwx`, `g:name:rw`, `m::r` or `d:u:name:rx`';
  // Two or three parts (checked above): type, name (empty when two), permissions.
  const [type, name, perms] = (parts.length === 3 ? parts : [parts[0], '', parts[1]]) as [
    string,
    string,
    string,
  ];
  if (!/^(u(ser)?|g(roup)?|m(ask)?|o(ther)?)$/.test(type))
    return `has type \`${type}\`; allowed: u, g, m, o (user, group, mask, other)`;
  if (!ACL_PERMS.test(perms))
    return `has permissions \`${perms}\`; write one octal digit or letters from rwx-`;
  const isMaskOrOther = /^(m|o)/.test(type);
  if (isMaskOrOther && name) return 'names a user or group, but mask and other entries take no name';
  if (!isMaskOrOther && !name && !isDefault)
    return 'has no user or group name; use `mode` to set the base entry';
  if (isDefault && fileOnly) return 'is a default ACL entry, which applies only to directories';
  return undefined;
}
