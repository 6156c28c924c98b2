/** File rules: an EC2/on-premises AppSpec's `files` (sources inside the revision, links, absolute destinations). */
import { isAbsolute, posix, resolve } from 'node:path';
import type { KindContext } from '../kind.js';
import { isRecord } from '../report.js';
import type { PathSegment } from '../source.js';

export function checkFiles(ctx: KindContext, files: unknown[], os: unknown): void {
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
        const normal = posix.normalize(rel); // '.' for the whole revision (`/`)
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
      // A drive (C:\ or C:/), or a root or share (\ or \\); `/…` is absolute to isAbsolute on every host.
      const absolute =
        os === 'windows' ? /^[A-Za-z]:[\\/]/.test(dest) || dest.startsWith('\\') : dest.startsWith('/');
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
  // Stryker disable next-line OptionalChaining,ArrayDeclaration: equivalent, every validation given a revision folder also gives linksOutside
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
