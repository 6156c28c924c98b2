/**
 * The runtimes (and their versions) that `runtime-versions` can name on CodeBuild's managed Linux images.
 * Facts read from each image's runtimes.yml in aws/aws-codebuild-docker-images at commit 1590e48
 * (2026; `unsupported_images/` left out: CodeBuild no longer offers them). CodeBuild fails a build that
 * names a runtime its image does not have ("Unknown runtime named …") or a version it does not have
 * ("Unknown runtime version named … This build image has the following versions: …").
 * @see https://docs.aws.amazon.com/codebuild/latest/userguide/available-runtimes.html
 */
export const CODEBUILD_IMAGE_RUNTIMES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> =
  {
    'aws/codebuild/standard:5.0': {
      java: ['corretto8', 'corretto11'],
      golang: ['1.15', '1.16'],
      python: ['3.7', '3.8', '3.9'],
      php: ['7.3', '7.4', '8.0'],
      ruby: ['2.6', '2.7'],
      nodejs: ['12', '14'],
      dotnet: ['3.1', '5.0'],
    },
    'aws/codebuild/standard:6.0': {
      java: ['corretto17'],
      golang: ['1.18'],
      python: ['3.10'],
      php: ['8.1'],
      ruby: ['3.1'],
      nodejs: ['16'],
      dotnet: ['6.0'],
    },
    'aws/codebuild/standard:7.0': {
      java: ['corretto25', 'corretto21', 'corretto17', 'corretto11', 'corretto8'],
      golang: ['1.26', '1.25', '1.24', '1.23', '1.22', '1.21', '1.20'],
      python: ['3.14', '3.13', '3.12', '3.11', '3.10', '3.9'],
      php: ['8.5', '8.4', '8.3', '8.2'],
      ruby: ['4.0', '3.4', '3.3', '3.2', '3.1'],
      nodejs: ['18', '20', '22', '24'],
      dotnet: ['10.0', '8.0', '6.0'],
    },
    'aws/codebuild/standard:8.0': {
      java: ['corretto25', 'corretto21', 'corretto17', 'corretto11', 'corretto8'],
      golang: ['1.26', '1.25', '1.24'],
      rust: ['1.93'],
      python: ['3.14', '3.13', '3.12', '3.11', '3.10'],
      php: ['8.5', '8.4', '8.3', '8.2'],
      ruby: ['4.0', '3.4', '3.3'],
      nodejs: ['22', '24'],
      dotnet: ['10.0', '8.0'],
    },
    'aws/codebuild/amazonlinux2-x86_64-standard:4.0': {
      java: ['corretto17'],
      golang: ['1.18'],
      python: ['3.9'],
      php: ['8.1'],
      ruby: ['3.1'],
      nodejs: ['16'],
      docker: ['20'],
      dotnet: ['6.0'],
    },
    'aws/codebuild/amazonlinux-x86_64-standard:5.0': {
      java: ['corretto25', 'corretto21', 'corretto17', 'corretto11', 'corretto8'],
      golang: ['1.26', '1.25', '1.24', '1.23', '1.22', '1.21', '1.20'],
      python: ['3.14', '3.13', '3.12', '3.11', '3.10', '3.9'],
      php: ['8.5', '8.4', '8.3', '8.2'],
      ruby: ['4.0', '3.4', '3.3', '3.2', '3.1'],
      nodejs: ['18', '20', '22', '24'],
      dotnet: ['10.0', '8.0', '6.0'],
    },
    'aws/codebuild/amazonlinux-x86_64-standard:6.0': {
      java: ['corretto25', 'corretto21', 'corretto17', 'corretto11', 'corretto8'],
      golang: ['1.26', '1.25', '1.24'],
      rust: ['1.93'],
      python: ['3.14', '3.13', '3.12', '3.11', '3.10'],
      php: ['8.5', '8.4', '8.3', '8.2'],
      ruby: ['4.0', '3.4', '3.3'],
      nodejs: ['22', '24'],
      dotnet: ['10.0', '8.0'],
    },
    'aws/codebuild/amazonlinux-x86_64-standard:corretto8': {
      java: ['corretto8'],
    },
    'aws/codebuild/amazonlinux-x86_64-standard:corretto11': {
      java: ['corretto11'],
    },
    'aws/codebuild/amazonlinux2-aarch64-standard:2.0': {
      java: ['corretto11', 'corretto8'],
      golang: ['1.12', '1.13', '1.14'],
      python: ['3.9', '3.8', '3.7'],
      php: ['7.4', '7.3'],
      ruby: ['2.6', '2.7'],
      nodejs: ['10', '12'],
      docker: ['19'],
      dotnet: ['3.1'],
    },
    'aws/codebuild/amazonlinux-aarch64-standard:3.0': {
      java: ['corretto25', 'corretto21', 'corretto17', 'corretto11', 'corretto8'],
      golang: ['1.26', '1.25', '1.24', '1.23', '1.22', '1.21', '1.20'],
      rust: ['1.94'],
      python: ['3.14', '3.13', '3.12', '3.11', '3.10', '3.9'],
      php: ['8.5', '8.4', '8.3', '8.2', '8.1'],
      ruby: ['4.0', '3.4', '3.3', '3.2', '3.1'],
      nodejs: ['18', '20', '22', '24'],
      docker: ['23'],
      dotnet: ['10.0', '8.0', '6.0'],
    },
    'aws/codebuild/amazonlinux-aarch64-standard:4.0': {
      java: ['corretto25', 'corretto21', 'corretto17', 'corretto11', 'corretto8'],
      golang: ['1.26', '1.25', '1.24'],
      rust: ['1.94'],
      python: ['3.14', '3.13', '3.12', '3.11', '3.10'],
      php: ['8.5', '8.4', '8.3', '8.2'],
      ruby: ['4.0', '3.4', '3.3'],
      nodejs: ['22', '24'],
      docker: ['23'],
      dotnet: ['10.0', '8.0'],
    },
  };

export const CODEBUILD_IMAGES = Object.keys(CODEBUILD_IMAGE_RUNTIMES);

/** The image's runtimes, matching the image name case-insensitively; undefined for an image not listed. */
export function runtimesOfImage(image: string): Readonly<Record<string, readonly string[]>> | undefined {
  const key = CODEBUILD_IMAGES.find((i) => i.toLowerCase() === image.trim().toLowerCase());
  return key ? CODEBUILD_IMAGE_RUNTIMES[key] : undefined;
}

/** Every runtime name any listed image knows, sorted. */
export const KNOWN_RUNTIMES: readonly string[] = [
  ...new Set(Object.values(CODEBUILD_IMAGE_RUNTIMES).flatMap((r) => Object.keys(r))),
].sort();

const versionsByRuntime = new Map<string, readonly string[]>();

/** Every version of `runtime` any listed image has, newest image first (worked out once per runtime). */
export function versionsOfRuntime(runtime: string): readonly string[] {
  let versions = versionsByRuntime.get(runtime);
  if (!versions) {
    versions = [...new Set(Object.values(CODEBUILD_IMAGE_RUNTIMES).flatMap((r) => r[runtime] ?? []))].sort(
      (a, b) => b.localeCompare(a, 'en', { numeric: true }),
    );
    versionsByRuntime.set(runtime, versions);
  }
  return versions;
}

/**
 * Whether a written version selects one of `available`: the exact version, `N.x` (a major version,
 * latest minor), `latest`, or a major that names a `N.0`-style version (`dotnet: 8` for 8.0).
 * A `$VARIABLE` is resolved at build time and cannot be checked: it matches.
 */
export function versionMatches(written: string, available: readonly string[]): boolean {
  const v = written.trim();
  if (v === 'latest' || v.startsWith('$')) return true;
  if (v.endsWith('.x')) {
    const major = v.slice(0, -2);
    return available.some((a) => a === major || a.startsWith(`${major}.`));
  }
  return available.some((a) => a === v || a === `${v}.0`);
}
