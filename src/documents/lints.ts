import type { RuleId } from './catalog.js';
import type { KindContext } from './kind.js';
import { formatPath } from './report.js';
import type { PathSegment } from './source.js';

/** Plain scalars YAML 1.1 (Ruby Psych, go-yaml v2) reads as booleans while YAML 1.2 reads them as text. */
const YAML11_BOOLEAN = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

/** Warns when an unquoted `yes`/`no`/`on`/`off` sits where AWS wants a string. */
export function checkYaml11Boolean(ctx: KindContext, ruleId: RuleId, path: readonly PathSegment[]): void {
  const style = ctx.source.scalarStyle(path);
  if (style?.type !== 'PLAIN' || !YAML11_BOOLEAN.test(style.text)) return;
  ctx.reporter.report(
    ruleId,
    path,
    `\`${formatPath(path)}\` is the unquoted word \`${style.text}\`, which YAML 1.1 parsers read as a boolean, not the text "${style.text}"`,
    { hint: `quote it: "${style.text}"` },
  );
}

const SECRET_NAME =
  /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|AUTH)/i;
const NOT_A_SECRET_NAME =
  /(_ARN|_NAME|_ID|_URL|_URI|_PATH|_FILE|_REGION|_ENDPOINT|_HEADER|_TYPE|_PARAM|_PARAMETER)$/i;
const ACCESS_KEY_ID = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/;
const REFERENCE = /^(\$|#\{|arn:|\{\{resolve:)/;

/** What kind of secret a plain-text variable seems to hold, or undefined. */
export function looksLikeSecret(name: string, value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (ACCESS_KEY_ID.test(value)) return 'an AWS access key id';
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(value)) return 'a private key';
  if (!SECRET_NAME.test(name) || NOT_A_SECRET_NAME.test(name)) return undefined;
  const v = value.trim();
  if (v.length < 6 || REFERENCE.test(v) || /^(true|false|yes|no|none|null|changeme)$/i.test(v))
    return undefined;
  return 'what looks like a secret';
}
