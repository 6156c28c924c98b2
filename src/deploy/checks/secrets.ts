/**
 * What a deployment check must never keep: the credentials it runs with. A check's evidence (a command's
 * output, an HTTP answer, an error text) goes to the ledger, `status`, the dashboard, notifications and the
 * terminal, and a smoke test under `set -x` or one that prints `env` would put its token in all of them.
 * `checkMasker` knows the values to mask for one check: credential-like variables of the environment the check
 * runs with, every value of its own headers, passwords and tokens in its URLs. `maskReading` applies it (and
 * hides the password of any other URL) to everything a reading keeps. Only the values themselves are known:
 * a transformed one (base64, hashed, reversed, cut in two by the program) is not recognised.
 */
import { MASK, MaskStream, SecretMasker } from '../../core/secret-mask.js';
import type { CheckSpec } from '../../documents/deployment-group/checks-schema.js';

/**
 * Names of environment variables that hold credentials: AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
 * GITHUB_TOKEN, NPM_TOKEN, DB_PASSWORD, STRIPE_API_KEY, … (`AUTH` but not `AUTHOR`: GIT_AUTHOR_NAME is no secret,
 * HTTP_AUTHORIZATION is one).
 */
const CREDENTIAL_NAME =
  /SECRET|TOKEN|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|SESSION|AUTH(?!OR(?!IZ))|COOKIE|SIGNATURE/i;

/** Shorter values are never masked: "true", "1", "yes" would turn every output into stars. */
export const MIN_SECRET_LENGTH = 6;

export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name);
}

/**
 * The credentials in `env`: values of credential-like names, and the password (or token-as-user) of any value
 * that is a URL, whatever its name (DATABASE_URL=postgres://app:pw@db/app).
 */
export function envSecrets(env: Record<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (isCredentialName(name)) out.push(value);
    if (value.includes('://')) out.push(...urlSecrets(value));
  }
  return out;
}

/** A URL's password (or its user when there is no password: a token as user), and credential-like query values. */
export function urlSecrets(text: string): string[] {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [];
  }
  const out: string[] = [];
  const part = url.password || url.username;
  if (part) out.push(part, safeDecode(part));
  for (const [name, value] of url.searchParams) {
    if (isCredentialName(name) || /^(key|sig)$/i.test(name)) out.push(value, encodeURIComponent(value));
  }
  return out;
}

/**
 * Every header value (a check's headers are where its credentials go), and the credential alone after its
 * scheme (`Bearer <token>`); a Basic credential also decoded (`user:password`, and the password).
 */
export function headerSecrets(headers: Record<string, string>): string[] {
  const out: string[] = [];
  for (const value of Object.values(headers)) {
    out.push(value);
    const scheme = /^\s*(\S+)\s+(\S+)\s*$/.exec(value);
    if (!scheme) continue;
    const credential = scheme[2] as string;
    out.push(credential);
    if (scheme[1]?.toLowerCase() === 'basic') {
      const decoded = Buffer.from(credential, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) out.push(decoded, decoded.slice(colon + 1));
    }
  }
  return out;
}

/** What one check must not keep, given the environments it (and the runner) runs with. */
export function checkSecrets(spec: CheckSpec, ...envs: Record<string, string | undefined>[]): string[] {
  const out = envs.flatMap(envSecrets);
  if (spec.provider === 'http') {
    out.push(...urlSecrets(spec.url));
    if (spec.headers) out.push(...headerSecrets(spec.headers));
  } else if (spec.provider === 'prometheus') {
    out.push(...urlSecrets(spec.address));
  }
  const known = new Set<string>();
  for (const value of out) {
    // As printed inside a JSON string or a URL, too.
    for (const v of [value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)]) {
      if (v.trim().length >= MIN_SECRET_LENGTH) known.add(v);
    }
  }
  return [...known];
}

export function checkMasker(spec: CheckSpec, ...envs: Record<string, string | undefined>[]): SecretMasker {
  return new SecretMasker(checkSecrets(spec, ...envs), { minLength: MIN_SECRET_LENGTH });
}

/**
 * `scheme://user:password@` anywhere in a text: the password, whoever's it is. The scheme needs no word
 * boundary before it (`_postgres://` or a cut's `gres://` still name one) and is at most 32 characters, which
 * keeps the search linear on a long run of letters.
 */
const URL_PASSWORD = /([a-z][a-z0-9+.-]{0,31}:\/\/[^\s/?#@:]*):[^\s/?#@]+@/gi;
/** A scheme at the end of a text, with as much of its `://` as has arrived. */
const SCHEME_AT_END = /[a-z][a-z0-9+.-]{0,31}(?::\/{0,2})?$/i;
const SCHEME_BEFORE_SLASHES = /[a-z][a-z0-9+.-]{0,31}$/i;
/** What ends a URL's user or password (`/` also ends the `://`). */
const CREDENTIAL_END = /[\s/?#@]/;
/** Longer than any URL credential: a run of this many characters after `scheme://` is let go unmasked. */
const MAX_URL_CREDENTIAL = 16 * 1024;

export function maskText(masker: SecretMasker, text: string): string {
  return masker.mask(text).replace(URL_PASSWORD, `$1:${MASK}@`);
}

/**
 * How many characters at the end of `text` could still become `scheme://user:password@` (a scheme, its `://`,
 * a user, `user:` and part of a password): held back until the `@` masks it or a character it cannot hold
 * shows it is none.
 */
export function urlCredentialTail(text: string): number {
  // A scheme and its `://` take at most 35 characters.
  const scheme = SCHEME_AT_END.exec(text.slice(-35));
  const schemeTail = scheme ? scheme[0].length : 0;
  let runStart = text.length;
  while (runStart > 0 && !CREDENTIAL_END.test(text[runStart - 1] as string)) {
    if (text.length - runStart >= MAX_URL_CREDENTIAL) return schemeTail;
    runStart--;
  }
  const slashes = runStart - 3;
  if (slashes < 1 || !text.startsWith('://', slashes)) return schemeTail;
  const before = SCHEME_BEFORE_SLASHES.exec(text.slice(Math.max(0, slashes - 32), slashes));
  return before ? Math.max(schemeTail, text.length - slashes + before[0].length) : schemeTail;
}

/**
 * A check's output as it arrives, for a provider that keeps only part of it: the check's credentials and any
 * URL's password are masked before the cut (a cut through `scheme://user:password@` leaves a password no
 * pattern recognises), holding back an end that could still become either.
 */
export function checkOutputStream(masker: SecretMasker, write: (text: string) => void): MaskStream {
  const masking = {
    empty: false,
    mask: (text: string) => maskText(masker, text),
    partialTail: (text: string) => Math.max(masker.partialTail(text), urlCredentialTail(text)),
  };
  return new MaskStream(masking, write);
}

/**
 * A reading (`CheckReading`) with everything it keeps masked: output, error, no-data reason. What the condition
 * sees (`vars`) is never kept, and `measured` holds numbers only.
 */
export function maskReading<R extends { output?: string; error?: string; noData?: string }>(
  reading: R,
  masker: SecretMasker,
): R {
  const out: Record<string, unknown> = { ...reading };
  for (const key of ['output', 'error', 'noData']) {
    const value = out[key];
    if (typeof value === 'string') out[key] = maskText(masker, value);
  }
  return out as R;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
