/**
 * Buildspec rules as a user meets them: a small buildspec and the exact lines `conveyor validate buildspec.yml`
 * prints for it (`file:line:col severity rule-id message (hint)`), so a finding at the wrong place, with the wrong
 * words or missing fails here, not only in a golden file. Reference: the CodeBuild buildspec reference.
 */
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../src/documents/diagnostics.js';
import { validateText } from '../../../src/documents/validate.js';

/** What `conveyor validate [--image IMAGE] buildspec.yml` prints for this text, one line per finding. */
function lines(text: string, image?: string): string[] {
  return validateText(text, 'buildspec.yml', {
    kind: 'buildspec',
    ...(image ? { codebuildImage: image } : {}),
  }).diagnostics.map(formatDiagnostic);
}

const build = 'phases:\n  build:\n    commands: [make]\n';

describe('buildspec phases and commands', () => {
  it('a phase written as one string is a type error, not also a phase without commands', () => {
    expect(lines('version: 0.2\nphases:\n  build: make\n')).toEqual([
      'buildspec.yml:3:10 error buildspec/invalid-type `phases.build` must be a mapping or empty, found the string "make"',
    ]);
  });

  it('a phase without `commands` is reported over the whole phase (its range in --json)', () => {
    const [d, ...rest] = validateText(
      'version: 0.2\nphases:\n  build:\n    finally: [echo]\n',
      'buildspec.yml',
    ).diagnostics;
    expect(rest).toEqual([]);
    expect(formatDiagnostic(d!)).toBe(
      'buildspec.yml:3:3 error buildspec/phase-commands phase `build` has no `commands`; the buildspec reference requires a commands list in a build phase',
    );
    expect([d!.endLine, d!.endCol]).toEqual([5, 1]);
  });

  it('an empty `finally`, or an empty install `commands`, runs nothing and warns; an empty build `commands` is an error', () => {
    expect(
      lines('version: 0.2\nphases:\n  install:\n    commands:\n  build:\n    commands:\n    finally:\n'),
    ).toEqual([
      'buildspec.yml:4:14 warning buildspec/empty-command `phases.install.commands` is empty; CodeBuild runs nothing for it (remove the key or give it commands)',
      'buildspec.yml:6:14 error buildspec/phase-commands phase `build` has `commands` with nothing in it; the buildspec reference requires a commands list in a build phase',
      'buildspec.yml:7:13 warning buildspec/empty-command `phases.build.finally` is empty; CodeBuild runs nothing for it (remove the key or give it commands)',
    ]);
  });

  it('a phase key written at the phase level is read as a phase, and the hint names the phase above it', () => {
    const known = 'the buildspec reference allows only the phases install, pre_build, build, post_build';
    expect(
      lines(
        'version: 0.2\nphases:\n  finally: [echo]\n  build:\n    commands: [make]\n  runtime-versions:\n    nodejs: 20\n  on-failure: ABORT\n  run-as: root\n',
      ),
    ).toEqual([
      `buildspec.yml:3:3 error buildspec/unknown-phase \`finally\` is read as a phase name because it is not indented under a phase; ${known} (indent it under a phase)`,
      `buildspec.yml:6:3 error buildspec/unknown-phase \`runtime-versions\` is read as a phase name because it is not indented under a phase; ${known} (indent it under \`build:\`)`,
      `buildspec.yml:8:3 error buildspec/unknown-phase \`on-failure\` is read as a phase name because it is not indented under a phase; ${known} (indent it under \`runtime-versions:\`)`,
      `buildspec.yml:9:3 error buildspec/unknown-phase \`run-as\` is read as a phase name because it is not indented under a phase; ${known} (indent it under \`on-failure:\`)`,
    ]);
  });

  it('an unknown phase is named at its key, with the phase it was probably meant to be', () => {
    expect(lines('version: 0.2\nphases:\n  bild: make\n')).toEqual([
      'buildspec.yml:3:3 error buildspec/unknown-phase unknown phase `bild`; the buildspec reference allows only the phases install, pre_build, build, post_build (did you mean `build`?)',
    ]);
  });

  it('a block string holding one command and its final newline is one command, not a multi-line block', () => {
    expect(lines('version: 0.2\nphases:\n  build:\n    commands: |\n      make\n')).toEqual([]);
  });

  it('a number reached through an alias is named by its value', () => {
    expect(lines('version: 0.2\nphases:\n  build:\n    commands:\n      - &n 3.10\n      - *n\n')).toEqual([
      'buildspec.yml:5:12 warning buildspec/non-string-command command `3.10` is read by YAML as a number, not text; CodeBuild runs its text (quote it: "3.10")',
      'buildspec.yml:6:9 warning buildspec/non-string-command command `3.1` is read by YAML as a number, not text; CodeBuild runs its text (quote it: "3.1")',
    ]);
  });
});

describe('buildspec top level', () => {
  it('a buildspec that is a list gets the type error only, not a missing `phases` too', () => {
    expect(lines('- version: 0.2\n')).toEqual([
      'buildspec.yml:1:1 error buildspec/invalid-type the top level must be a mapping, found a list',
    ]);
  });

  it('`environment_variables` under a quoted version "0.2" is the old spelling too, named at its key', () => {
    expect(lines(`version: "0.2"\n${build}environment_variables: old\n`)).toEqual([
      'buildspec.yml:5:1 warning buildspec/version-key `environment_variables` is the version 0.1 spelling; version 0.2 ignores it (move the values to `env.variables`)',
      'buildspec.yml:5:24 error buildspec/invalid-type `environment_variables` must be a mapping, found the string "old"',
    ]);
  });
});

describe('buildspec runtime versions', () => {
  const install = (versions: string) =>
    `version: 0.2\nphases:\n  install:\n    runtime-versions:\n${versions}  build:\n    commands: [make]\n`;

  it('an empty version is a type error only; a version reached through an alias is checked by its value', () => {
    expect(lines(install('      nodejs:\n      python: &v 3.10\n      golang: *v\n'))).toEqual([
      'buildspec.yml:5:14 error buildspec/invalid-type `phases.install.runtime-versions.nodejs` must be a version, found nothing (an empty value)',
      'buildspec.yml:6:18 warning buildspec/runtime-version-number python version `3.10` is read by YAML as the number 3.1, not the text "3.10" (quote it: "3.10")',
      "buildspec.yml:7:15 warning buildspec/runtime-version no current CodeBuild image has golang 3.1; the images have 1.26, 1.25, 1.24, 1.23, 1.22, 1.21, 1.20, 1.18, 1.16, 1.15, 1.14, 1.13, 1.12 (or N.x, latest) (pass --image to check against the project's image)",
    ]);
  });

  it('a version no image has is named, written as a number or as a string', () => {
    expect(lines(install('      nodejs: 99\n      java: "99"\n'))).toEqual([
      "buildspec.yml:5:15 warning buildspec/runtime-version no current CodeBuild image has nodejs 99; the images have 24, 22, 20, 18, 16, 14, 12, 10 (or N.x, latest) (pass --image to check against the project's image)",
      "buildspec.yml:6:13 warning buildspec/runtime-version no current CodeBuild image has java 99; the images have corretto25, corretto21, corretto17, corretto11, corretto8 (or N.x, latest) (pass --image to check against the project's image)",
    ]);
  });

  it('with --image, runtimes and versions are named against that image', () => {
    expect(lines(install('      nodejs: 16\n      rust: latest\n'), 'aws/codebuild/standard:7.0')).toEqual([
      'buildspec.yml:5:15 error buildspec/runtime-version-image CodeBuild fails the build with "Unknown runtime version named 16 of nodejs": image aws/codebuild/standard:7.0 has 18, 20, 22, 24 (or N.x, latest)',
      'buildspec.yml:6:7 error buildspec/unknown-runtime CodeBuild fails the build with "Unknown runtime named rust": image aws/codebuild/standard:7.0 has java, golang, python, php, ruby, nodejs, dotnet',
    ]);
  });
});

describe('buildspec variables', () => {
  it('version 0.1 plain-text variables are checked like version 0.2 ones', () => {
    expect(
      lines(
        'version: 0.1\nenvironment_variables:\n  plaintext:\n    CODEBUILD_X: a\n    MODE: yes\nphases:\n  build:\n    commands: [make]\n',
      ),
    ).toEqual([
      'buildspec.yml:4:5 warning buildspec/reserved-variable variable `CODEBUILD_X` uses the reserved prefix CODEBUILD_; CodeBuild sets these itself',
      'buildspec.yml:5:11 warning buildspec/yaml11-boolean `environment_variables.plaintext.MODE` is the unquoted word `yes`, which YAML 1.1 parsers read as a boolean, not the text "yes" (quote it: "yes")',
    ]);
  });

  it("a build graph's variables are named where they are written", () => {
    expect(
      lines(
        `version: 0.2\n${build}batch:\n  build-graph:\n    - identifier: a\n      env:\n        variables:\n          CODEBUILD_Y: b\n`,
      ),
    ).toEqual([
      'buildspec.yml:10:11 warning buildspec/reserved-variable variable `CODEBUILD_Y` uses the reserved prefix CODEBUILD_; CodeBuild sets these itself',
    ]);
  });

  it('an exported AWS_ name is named where it is written, as one name or in a list beside other values', () => {
    expect(lines(`version: 0.2\n${build}env:\n  exported-variables: AWS_X\n`)).toEqual([
      'buildspec.yml:6:23 warning buildspec/exported-variable-name exported variable `AWS_X` starts with AWS_, which CodeBuild does not export',
    ]);
    expect(lines(`version: 0.2\n${build}env:\n  exported-variables: [42, AWS_Y]\n`)).toEqual([
      'buildspec.yml:6:24 error buildspec/invalid-type `env.exported-variables[0]` must be a string, found the number 42 (quote it: "42")',
      'buildspec.yml:6:28 warning buildspec/exported-variable-name exported variable `AWS_Y` starts with AWS_, which CodeBuild does not export',
    ]);
  });
});

describe('buildspec batches', () => {
  const batch = (body: string) => lines(`version: 0.2\n${build}batch:\n${body}`);

  it('a second batch kind is named at its key (its range in --json)', () => {
    const [d, ...rest] = validateText(
      `version: 0.2\n${build}batch:\n  build-list:\n    - identifier: a\n  build-matrix:\n    static: {}\n`,
      'buildspec.yml',
    ).diagnostics;
    expect(rest).toEqual([]);
    expect(formatDiagnostic(d!)).toBe(
      'buildspec.yml:8:3 error buildspec/batch-kind batch has build-list, build-matrix; a batch takes exactly one of build-list, build-matrix, build-graph, build-fanout',
    );
    expect([d!.endLine, d!.endCol]).toEqual([8, 15]);
  });

  it('builds without an identifier are missing one, not duplicates; a build list has no dependencies', () => {
    expect(
      batch(
        '  build-list:\n    - buildspec: a.yml\n    - buildspec: b.yml\n    - identifier: a\n      depend-on: [x]\n',
      ),
    ).toEqual([
      'buildspec.yml:7:7 error buildspec/missing-key missing required key `identifier` in `batch.build-list[0]`',
      'buildspec.yml:8:7 error buildspec/missing-key missing required key `identifier` in `batch.build-list[1]`',
      'buildspec.yml:10:7 warning buildspec/unknown-key unknown key `depend-on` in `batch.build-list[2]` (AWS ignores it); allowed keys: identifier, buildspec, debug-session, ignore-failure, env',
    ]);
  });

  it("a graph build without an identifier, or a dependency that is not a name, is the schema's finding only", () => {
    expect(
      batch(
        '  build-graph:\n    - buildspec: a.yml\n      depend-on: [x]\n    - identifier: b\n      depend-on: [5]\n',
      ),
    ).toEqual([
      'buildspec.yml:7:7 error buildspec/missing-key missing required key `identifier` in `batch.build-graph[0]`',
      'buildspec.yml:10:19 error buildspec/invalid-type `batch.build-graph[1].depend-on[0]` must be a string, found the number 5 (quote it: "5")',
    ]);
  });

  it('a cycle reached through another build names only its own builds, from the first in name order, at that build', () => {
    expect(
      batch(
        '  build-graph:\n    - identifier: a\n      depend-on: [c]\n    - identifier: b\n      depend-on: [c]\n    - identifier: c\n      depend-on: [b]\n',
      ),
    ).toEqual([
      'buildspec.yml:10:7 error buildspec/batch-cycle build-graph dependencies form a cycle: b -> c -> b',
    ]);
  });

  it('a dependency already searched is not part of a later cycle', () => {
    expect(
      batch(
        '  build-graph:\n    - identifier: a\n      depend-on: [b, c]\n    - identifier: b\n    - identifier: c\n      depend-on: [a]\n',
      ),
    ).toEqual([
      'buildspec.yml:8:7 error buildspec/batch-cycle build-graph dependencies form a cycle: a -> c -> a',
    ]);
  });

  it('each cycle is named once, a dependency written twice too, and cycles whose names join alike are both named', () => {
    expect(
      batch(
        '  build-graph:\n    - identifier: ab\n      depend-on: [c]\n    - identifier: c\n      depend-on: [ab]\n    - identifier: a\n      depend-on: [bc]\n    - identifier: bc\n      depend-on: [a, a]\n',
      ),
    ).toEqual([
      'buildspec.yml:8:7 error buildspec/batch-cycle build-graph dependencies form a cycle: ab -> c -> ab',
      'buildspec.yml:12:7 error buildspec/batch-cycle build-graph dependencies form a cycle: a -> bc -> a',
    ]);
  });
});

describe('buildspec reports', () => {
  const group = (name: string) => `  ${name}:\n    files: [r.xml]\n`;

  it('five report groups are allowed; the sixth is named at its key (its range in --json)', () => {
    const five = ['g0', 'g1', 'g2', 'g3', 'g4'].map(group).join('');
    expect(lines(`version: 0.2\n${build}reports:\n${five}`)).toEqual([]);
    const [d, ...rest] = validateText(
      `version: 0.2\n${build}reports:\n${five}${group('g5')}`,
      'buildspec.yml',
    ).diagnostics;
    expect(rest).toEqual([]);
    expect(formatDiagnostic(d!)).toBe(
      'buildspec.yml:16:3 error buildspec/report-group-limit reports lists 6 report groups; a project may have at most 5',
    );
    expect([d!.endLine, d!.endCol]).toEqual([16, 5]);
  });

  it('a file format that is not text is named as the value found', () => {
    expect(
      lines(`version: 0.2\n${build}reports:\n  unit:\n    files: [r.xml]\n    file-format: 5\n`),
    ).toEqual([
      'buildspec.yml:8:18 error buildspec/invalid-type `reports.unit.file-format` must be a string, found the number 5 (quote it: "5")',
      'buildspec.yml:8:18 error buildspec/report-file-format `reports.unit.file-format` is the number 5; allowed (any case): CUCUMBERJSON, JUNITXML, NUNITXML, NUNIT3XML, TESTNGXML, VISUALSTUDIOTRX, CLOVERXML, COBERTURAXML, JACOCOXML, SIMPLECOV',
    ]);
  });
});

describe('buildspec batch cycles, whatever the order of the list', () => {
  const graph = (order: string[]) => {
    const deps: Record<string, string[]> = { a: ['b', 'd'], b: ['c', 'd'], c: ['d'], d: ['b', 'a'] };
    const items = order.map((id) => `    - identifier: ${id}\n      depend-on: [${deps[id]!.join(', ')}]\n`);
    return validateText(
      `version: 0.2\n${build}batch:\n  build-graph:\n${items.join('')}`,
      'buildspec.yml',
    ).diagnostics.map((d) => d.message);
  };

  it('names the same cycles, once each, however the builds are listed', () => {
    const cycles = [
      'build-graph dependencies form a cycle: a -> b -> c -> d -> a',
      'build-graph dependencies form a cycle: b -> c -> d -> b',
    ];
    expect(graph(['a', 'b', 'c', 'd'])).toEqual(cycles);
    expect(graph(['d', 'a', 'b', 'c']).sort()).toEqual(cycles);
  });
});
