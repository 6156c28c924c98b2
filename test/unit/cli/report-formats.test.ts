/**
 * `--format github|sarif` on validate and synth --check: GitHub workflow commands (annotations) with the
 * runner's escaping, chosen by itself under GitHub Actions; SARIF 2.1.0 that the official schema accepts,
 * with rules from the catalog and the exit code `judge()` decided.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { beforeEach, describe, expect, it } from 'vitest';
import { githubCommand } from '../../../src/cli/formats/github.js';
import { RULES_DOC_URL } from '../../../src/cli/formats/sarif.js';
import { rules } from '../../../src/documents/catalog.js';
import { useCliProject } from '../../cli-project.js';

const project = useCliProject('conveyor-formats-');
const { write } = project;
const run = (args: string[], opts: { env?: Record<string, string>; tty?: boolean } = {}) =>
  project.run(args, { ...opts, env: opts.env ?? {} });

/** One error (a phase without commands, line 5) and one warning (an empty command item, line 4). */
const ERROR_AND_WARNING =
  'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      -\n  post_build:\n';
/** Two warnings (two empty command items), no error. */
const TWO_WARNINGS = 'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n      -\n      -\n';

function textLines(stdout: string) {
  return stdout
    .trim()
    .split('\n')
    .map((l) => /^(\S+):(\d+):(\d+) (\w+) (\S+) /.exec(l)!.slice(1));
}

describe('--format github', () => {
  it('prints one workflow command per finding, at the positions the text format gives', async () => {
    write('ci/buildspec.yml', ERROR_AND_WARNING);
    const text = await run(['validate', 'ci/buildspec.yml']);
    const gh = await run(['validate', '--format', 'github', 'ci/buildspec.yml']);
    expect(gh.code).toBe(1);
    expect(text.code).toBe(1);
    const commands = gh.stdout.trim().split('\n');
    expect(commands).toHaveLength(2);
    const parsed = commands.map(
      (c) =>
        /^::(error|warning) file=([^,]+),line=(\d+),col=(\d+),(?:endLine=\d+,)?(?:endColumn=\d+,)?title=([^:]+)::(.+)$/.exec(
          c,
        )!,
    );
    expect(parsed.every(Boolean)).toBe(true);
    expect(parsed.map((m) => [m[2], m[3], m[4], m[1], m[5]])).toEqual(textLines(text.stdout));
    expect(gh.stderr).toBe('1 file checked: 1 error, 1 warning\n');
  });

  it("escapes '%', CR and LF in the message, and also ':' and ',' in properties", () => {
    const line = githubCommand({
      ruleId: 'buildspec/invalid-type',
      severity: 'warning',
      file: 'a,b:c%.yml',
      line: 3,
      col: 2,
      endLine: 3,
      endCol: 9,
      message: '100% sure: a\r\nb, c',
    });
    expect(line).toBe(
      '::warning file=a%2Cb%3Ac%25.yml,line=3,col=2,endLine=3,endColumn=9,title=buildspec/invalid-type::100%25 sure: a%0D%0Ab, c',
    );
  });

  it('is chosen when GITHUB_ACTIONS=true and stdout is not a terminal; a flag or a terminal keeps text', async () => {
    write('buildspec.yml', TWO_WARNINGS);
    const gha = { GITHUB_ACTIONS: 'true' };
    expect((await run(['validate', 'buildspec.yml'], { env: gha })).stdout).toMatch(
      /^::warning file=buildspec\.yml,line=6,/,
    );
    expect((await run(['validate', 'buildspec.yml'], { env: gha, tty: true })).stdout).toMatch(
      /^buildspec\.yml:6:/,
    );
    expect((await run(['validate', '--format', 'text', 'buildspec.yml'], { env: gha })).stdout).toMatch(
      /^buildspec\.yml:6:/,
    );
    expect(
      JSON.parse((await run(['validate', '--json', 'buildspec.yml'], { env: gha })).stdout).summary.warnings,
    ).toBe(2);
    expect((await run(['validate', 'buildspec.yml'])).stdout).toMatch(/^buildspec\.yml:6:/);
  });

  it('follows --strict and --max-warnings as every format does', async () => {
    write('buildspec.yml', TWO_WARNINGS);
    expect((await run(['validate', '--format', 'github', 'buildspec.yml'])).code).toBe(0);
    const strict = await run(['validate', '--format', 'github', '--strict', 'buildspec.yml']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('--strict: 2 warnings fail the check');
    expect((await run(['validate', '--format', 'github', '--max-warnings', '1', 'buildspec.yml'])).code).toBe(
      1,
    );
  });

  it('refuses an unknown format, and --json beside another format (exit 2)', async () => {
    write('buildspec.yml', TWO_WARNINGS);
    const bad = await run(['validate', '--format', 'junit', 'buildspec.yml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown format 'junit'; allowed: text, json, github, sarif");
    expect((await run(['validate', '--json', '--format', 'sarif', 'buildspec.yml'])).code).toBe(2);
  });
});

const require = createRequire(import.meta.url);
/** The OASIS SARIF 2.1.0 schema (2.1.0-rtm.5, draft-04), as @microsoft/jest-sarif ships it. */
function sarifValidator() {
  const file = join(dirname(require.resolve('@microsoft/jest-sarif')), 'schemas/sarif-2.1.0-rtm.5.json');
  const { $schema: _draft, id: _id, ...schema } = JSON.parse(readFileSync(file, 'utf8'));
  // ajv 8 speaks draft-07; this schema uses nothing that differs between the two but the `id` keyword.
  // Its `language` pattern has a stray `]` that only a non-unicode RegExp accepts, as draft-04 readers do.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

interface SarifLog {
  runs: {
    tool: { driver: { rules: { id: string; helpUri: string; help: { text: string } }[] } };
    invocations: { exitCode: number; executionSuccessful: boolean }[];
    results: {
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: {
        physicalLocation: {
          artifactLocation: { uri: string };
          region: { startLine: number; startColumn: number };
        };
      }[];
    }[];
  }[];
}

const validate = sarifValidator();

describe('--format sarif', () => {
  it('writes a SARIF 2.1.0 log the official schema accepts, with every catalog rule and each finding', async () => {
    write('ci/buildspec.yml', ERROR_AND_WARNING);
    const r = await run(['validate', '--format', 'sarif', 'ci/buildspec.yml']);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.stdout) as SarifLog;
    expect(validate(log), JSON.stringify(validate.errors)).toBe(true);
    const [sarifRun] = log.runs;
    const driverRules = sarifRun!.tool.driver.rules;
    expect(driverRules.map((x) => x.id)).toEqual(Object.keys(rules));
    const phaseRule = driverRules.find((x) => x.id === 'buildspec/phase-commands')!;
    expect(phaseRule.helpUri).toBe(`${RULES_DOC_URL}#buildspecphase-commands`);
    expect(phaseRule.help.text).toContain('present but has no commands');
    expect(sarifRun!.invocations).toEqual([
      expect.objectContaining({ exitCode: 1, executionSuccessful: true }),
    ]);
    const text = textLines((await run(['validate', 'ci/buildspec.yml'])).stdout);
    expect(
      sarifRun!.results.map((x) => {
        const { artifactLocation, region } = x.locations[0]!.physicalLocation;
        return [
          artifactLocation.uri,
          String(region.startLine),
          String(region.startColumn),
          x.level,
          x.ruleId,
        ];
      }),
    ).toEqual(text);
    for (const x of sarifRun!.results) expect(driverRules[x.ruleIndex]!.id).toBe(x.ruleId);
  });

  it('records the exit code judge() decides: 0 with warnings, 1 under --strict', async () => {
    write('buildspec.yml', TWO_WARNINGS);
    const plain = await run(['validate', '--format', 'sarif', 'buildspec.yml']);
    expect(plain.code).toBe(0);
    expect((JSON.parse(plain.stdout) as SarifLog).runs[0]!.invocations[0]!.exitCode).toBe(0);
    const strict = await run(['validate', '--format', 'sarif', '--strict', 'buildspec.yml']);
    expect(strict.code).toBe(1);
    const log = JSON.parse(strict.stdout) as SarifLog;
    expect(validate(log)).toBe(true);
    expect(log.runs[0]!.invocations[0]!.exitCode).toBe(1);
    expect(log.runs[0]!.results.map((x) => x.level)).toEqual(['warning', 'warning']);
  });
});

describe('synth --check --format', () => {
  beforeEach(async () => {
    write('buildspec/app.yml', TWO_WARNINGS);
    expect((await run(['synth'])).code).toBe(0);
  });

  it('github: annotations on stdout, the verdict as in text', async () => {
    const r = await run(['synth', '--check', '--format', 'github', '--max-warnings', '1']);
    expect(r.code).toBe(1);
    const commands = r.stdout.split('\n').filter((l) => l.startsWith('::'));
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(
      /^::warning file=buildspec\/app\.yml,line=6,col=\d+,.*title=buildspec\/empty-command::/,
    );
    expect(r.stdout).toContain('is up to date');
  });

  it('sarif: a valid log alone on stdout, the drift report on stderr', async () => {
    write('buildspec/other.yml', 'version: 0.2\nphases:\n  build:\n    commands:\n      - make\n');
    const r = await run(['synth', '--check', '--format', 'sarif']);
    expect(r.code).toBe(1);
    const log = JSON.parse(r.stdout) as SarifLog;
    expect(validate(log)).toBe(true);
    expect(log.runs[0]!.invocations[0]!.exitCode).toBe(1);
    expect(log.runs[0]!.results).toHaveLength(2);
    expect(r.stderr).toContain('would add:');
  });

  it('refuses github or sarif without --check (exit 2)', async () => {
    const r = await run(['synth', '--format', 'sarif']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--format sarif applies to synth --check');
  });
});
