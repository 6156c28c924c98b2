/** Runtime rules: `phases.install.runtime-versions` against the CodeBuild images (runtimes.ts), as YAML reads it. */
import type { KindContext } from '../kind.js';
import { isRecord, suggest } from '../report.js';
import { KNOWN_RUNTIMES, runtimesOfImage, versionMatches, versionsOfRuntime } from './runtimes.js';

/** `python: 3.10` is the number 3.1 to YAML: the runtime version the author meant is lost. */
export function checkRuntimeVersions(ctx: KindContext, doc: Record<string, unknown>): void {
  const install = isRecord(doc.phases) && isRecord(doc.phases.install) ? doc.phases.install : undefined;
  const versions = install && isRecord(install['runtime-versions']) ? install['runtime-versions'] : undefined;
  if (!versions) return;
  checkRuntimesKnown(ctx, versions);
  for (const [runtime, v] of Object.entries(versions)) {
    if (typeof v !== 'number') continue;
    const path = ['phases', 'install', 'runtime-versions', runtime];
    const style = ctx.source.scalarStyle(path);
    if (style?.type !== 'PLAIN' || style.text === String(v)) continue;
    ctx.reporter.report(
      'buildspec/runtime-version-number',
      path,
      `${runtime} version \`${style.text}\` is read by YAML as the number ${v}, not the text "${style.text}"`,
      { hint: `quote it: "${style.text}"` },
    );
  }
}

/** Names against every current image (or the given one); versions against their lists. */
function checkRuntimesKnown(ctx: KindContext, versions: Record<string, unknown>): void {
  const image = ctx.codebuildImage;
  const ofImage = image !== undefined ? runtimesOfImage(image) : undefined;
  for (const [runtime, v] of Object.entries(versions)) {
    const path = ['phases', 'install', 'runtime-versions', runtime];
    const names = ofImage ? Object.keys(ofImage) : KNOWN_RUNTIMES;
    if (!names.includes(runtime)) {
      const guess = suggest(runtime, names);
      ctx.reporter.report(
        'buildspec/unknown-runtime',
        path,
        `CodeBuild fails the build with "Unknown runtime named ${runtime}": ${ofImage ? `image ${image} has` : 'the current CodeBuild images know'} ${names.join(', ')}`,
        { part: 'key', ...(guess ? { hint: `did you mean \`${guess}\`?` } : {}) },
      );
      continue;
    }
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    // A number as written (`1.20`, which YAML reads as 1.2); a string as its value, without quotes.
    const written = typeof v === 'string' ? v : (ctx.source.scalarStyle(path)?.text ?? String(v));
    // Stryker disable next-line ArrayDeclaration: equivalent, a runtime the image lacks was reported unknown above (never reaches here)
    const available = ofImage ? (ofImage[runtime] ?? []) : versionsOfRuntime(runtime);
    if (versionMatches(written, available)) continue;
    const list = `${available.join(', ')} (or N.x, latest)`;
    if (ofImage)
      ctx.reporter.report(
        'buildspec/runtime-version-image',
        path,
        `CodeBuild fails the build with "Unknown runtime version named ${written} of ${runtime}": image ${image} has ${list}`,
      );
    else
      ctx.reporter.report(
        'buildspec/runtime-version',
        path,
        `no current CodeBuild image has ${runtime} ${written}; the images have ${list}`,
        { hint: "pass --image to check against the project's image" },
      );
  }
}
