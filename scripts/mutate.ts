/**
 * `npm run mutate [-- SCOPE…]`: mutation testing (StrykerJS, vitest runner) of the pure core, one scope at a time.
 * A scope is a folder of decisions and the unit tests that guard them; `deploy` selects every scope under deploy/,
 * `documents/pipeline` just that one; no argument runs them all, one after the other.
 *
 * Each scope runs on its own: per-test coverage (a mutant runs only the tests that reach it), incremental mode
 * (reports/mutation/<scope>.incremental.json, so a rerun tests only what changed; MUTATE_FORCE=1 retests all),
 * concurrency MUTATE_CONCURRENCY (default 1: the machine is shared). Prints per scope the share of mutants killed,
 * the survivors (file:line, mutator, replacement) and the run time; the HTML report is reports/mutation/<scope>.html.
 * Equivalent mutants are marked in the source with `// Stryker disable next-line <Mutator>: <reason>`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MutantResult, PartialStrykerOptions } from '@stryker-mutator/api/core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

interface Scope {
  /** Files whose mutants are counted (globs, relative to the repository). */
  mutate: string[];
  /** The unit tests that guard them (a mutant no test here kills survives). */
  tests: string[];
}

const DOCUMENT_TESTS = [
  'test/unit/documents/golden.test.ts',
  'test/unit/documents/cross-file.test.ts',
  'test/unit/documents/output-variables.test.ts',
  'test/unit/documents/rendered-json.test.ts',
  'test/unit/documents/rules.test.ts',
  'test/unit/documents/pipeline-rules.test.ts',
];

/**
 * What validates a buildspec or an appspec: the golden files (a mutant runs only the cases that reach it), the
 * rule tests and the kind's own rule tests.
 */
const BUILDSPEC_TESTS = [
  'test/unit/documents/golden.test.ts',
  'test/unit/documents/rules.test.ts',
  'test/unit/documents/cross-file.test.ts',
  'test/unit/documents/runtime-versions.test.ts',
  'test/unit/documents/buildspec-rules.test.ts',
];
const APPSPEC_TESTS = [
  'test/unit/documents/golden.test.ts',
  'test/unit/documents/rules.test.ts',
  'test/unit/documents/appspec-rules.test.ts',
  // --revision: sources, hook scripts and links checked against a real folder.
  'test/unit/cli/validate.test.ts',
];

export const SCOPES: Record<string, Scope> = {
  'deploy/strategies': {
    mutate: ['src/deploy/strategies/*.ts'],
    tests: ['test/unit/deploy/plan.test.ts', 'test/unit/deploy/strategy.test.ts'],
  },
  'deploy/state': {
    mutate: ['src/deploy/state.ts', 'src/deploy/steps.ts'],
    tests: [
      'test/unit/deploy/state.test.ts',
      'test/unit/deploy/ledger.test.ts',
      'test/unit/deploy/plan.test.ts',
    ],
  },
  'deploy/analysis': {
    mutate: ['src/deploy/analysis.ts', 'src/deploy/gates.ts'],
    tests: ['test/unit/router/analysis.test.ts'],
  },
  'deploy/checks': {
    mutate: ['src/deploy/checks/check.ts', 'src/deploy/check-gates.ts'],
    tests: [
      'test/unit/deploy/check-gates.test.ts',
      'test/unit/deploy/checks/condition.test.ts',
      'test/unit/deploy/checks/measure.test.ts',
      'test/unit/deploy/checks/cloudwatch.test.ts',
    ],
  },
  'deploy/lifecycle-events': {
    mutate: ['src/deploy/lifecycle-events.ts'],
    tests: ['test/unit/agent/lifecycle-events.test.ts', 'test/unit/deploy/plan.test.ts'],
  },
  router: {
    mutate: ['src/router/table.ts', 'src/router/set-selection.ts'],
    tests: ['test/unit/router/table.test.ts', 'test/unit/router/set-selection.test.ts'],
  },
  // The buildspec and appspec rules, one scope per rule family, each with only the tests that validate that kind.
  'documents/buildspec/structure': {
    mutate: ['src/documents/buildspec/rules.ts', 'src/documents/buildspec/phase-rules.ts'],
    tests: BUILDSPEC_TESTS,
  },
  'documents/buildspec/runtimes': {
    mutate: ['src/documents/buildspec/runtime-rules.ts'],
    tests: BUILDSPEC_TESTS,
  },
  'documents/buildspec/variables': {
    mutate: ['src/documents/buildspec/variable-rules.ts'],
    tests: BUILDSPEC_TESTS,
  },
  'documents/buildspec/batch': { mutate: ['src/documents/buildspec/batch-rules.ts'], tests: BUILDSPEC_TESTS },
  'documents/buildspec/reports': {
    mutate: ['src/documents/buildspec/report-rules.ts'],
    tests: BUILDSPEC_TESTS,
  },
  'documents/appspec/version': { mutate: ['src/documents/appspec/version-rules.ts'], tests: APPSPEC_TESTS },
  'documents/appspec/hooks': { mutate: ['src/documents/appspec/hook-rules.ts'], tests: APPSPEC_TESTS },
  'documents/appspec/files': {
    mutate: ['src/documents/appspec/rules.ts', 'src/documents/appspec/file-rules.ts'],
    tests: APPSPEC_TESTS,
  },
  'documents/appspec/permissions': {
    mutate: ['src/documents/appspec/permission-rules.ts'],
    tests: APPSPEC_TESTS,
  },
  'documents/appspec/ecs': { mutate: ['src/documents/appspec/ecs-rules.ts'], tests: APPSPEC_TESTS },
  'documents/appspec/lambda': { mutate: ['src/documents/appspec/lambda-rules.ts'], tests: APPSPEC_TESTS },
  'documents/deployment-group': {
    mutate: ['src/documents/deployment-group/rules.ts'],
    tests: DOCUMENT_TESTS,
  },
  // The pipeline rules, one scope per rule family (all of them at once is too long a run for this machine).
  'documents/pipeline/structure': {
    mutate: ['src/documents/pipeline/rules.ts', 'src/documents/pipeline/structure-rules.ts'],
    tests: DOCUMENT_TESTS,
  },
  'documents/pipeline/artifacts': {
    mutate: ['src/documents/pipeline/artifact-rules.ts'],
    tests: DOCUMENT_TESTS,
  },
  'documents/pipeline/variables': {
    mutate: ['src/documents/pipeline/variable-rules.ts'],
    tests: DOCUMENT_TESTS,
  },
  'documents/pipeline/actions': { mutate: ['src/documents/pipeline/action-rules.ts'], tests: DOCUMENT_TESTS },
  'documents/pipeline/v2': { mutate: ['src/documents/pipeline/v2-rules.ts'], tests: DOCUMENT_TESTS },
};

function selectScopes(args: string[]): string[] {
  const names = Object.keys(SCOPES);
  if (args.length === 0) return names;
  const chosen = names.filter((n) => args.some((a) => n === a.replace(/\/$/, '') || n.startsWith(`${a}/`)));
  if (chosen.length === 0) {
    console.error(`npm run mutate: no scope matches ${args.join(' ')}; scopes: ${names.join(', ')}`);
    process.exit(2);
  }
  return chosen;
}

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

interface Tally {
  killed: number;
  survived: number;
  noCoverage: number;
  ignored: number;
}

function tally(results: MutantResult[]): Tally {
  const t: Tally = { killed: 0, survived: 0, noCoverage: 0, ignored: 0 };
  for (const m of results) {
    if (m.status === 'Killed' || m.status === 'Timeout') t.killed++;
    else if (m.status === 'Survived') t.survived++;
    else if (m.status === 'NoCoverage') t.noCoverage++;
    else if (m.status === 'Ignored') t.ignored++;
  }
  return t;
}

function survivorLine(m: MutantResult): string {
  const line = readFileSync(resolve(root, m.fileName), 'utf8').split('\n')[m.location.start.line - 1] ?? '';
  const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80);
  return `  ${m.status === 'NoCoverage' ? 'no coverage' : 'survived'} ${relative(root, resolve(root, m.fileName))}:${m.location.start.line}:${m.location.start.column} ${m.mutatorName}: ${line.trim().slice(0, 80)}  →  ${replacement}`;
}

/**
 * StrykerJS 10 refuses to start below Node 22: a version check when its CLI module loads, not an API it needs (it
 * runs on Node 20.19, the project's floor). The check is passed for that import only; drop this on Node 22.
 */
async function loadStryker(): Promise<typeof import('@stryker-mutator/core').Stryker> {
  const real = Object.getOwnPropertyDescriptor(process, 'version')!;
  if (Number(process.versions.node.split('.')[0]) >= 22)
    return (await import('@stryker-mutator/core')).Stryker;
  Object.defineProperty(process, 'version', { ...real, value: 'v22.0.0' });
  try {
    return (await import('@stryker-mutator/core')).Stryker;
  } finally {
    Object.defineProperty(process, 'version', real);
  }
}

async function runScope(name: string, scope: Scope): Promise<{ line: string; ms: number }> {
  const slug = name.replace(/\//g, '-');
  const tests = scope.tests.filter((t) => existsSync(join(root, t)));
  if (tests.length === 0)
    throw new Error(`scope ${name}: none of its test files exists (${scope.tests.join(', ')})`);
  process.env.MUTATE_TESTS = tests.join(',');
  const options: PartialStrykerOptions = {
    testRunner: 'vitest',
    vitest: { configFile: 'scripts/vitest.mutate.config.ts', pool: 'forks', related: false },
    plugins: ['@stryker-mutator/vitest-runner'],
    coverageAnalysis: 'perTest',
    mutate: scope.mutate,
    concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 1),
    incremental: true,
    force: process.env.MUTATE_FORCE === '1',
    incrementalFile: `reports/mutation/${slug}.incremental.json`,
    tempDirName: '.stryker-tmp',
    // Stryker rewrites a tsconfig's extends/references for the sandbox through TypeScript's JS API, which
    // TypeScript 7 no longer has; ours has neither, so it is given no tsconfig to rewrite.
    tsconfigFile: 'no-tsconfig-to-rewrite.json',
    ignorePatterns: ['dist', 'bench', 'coverage', '.conveyor', 'tmp', 'reports'],
    reporters: ['progress', 'html', 'json'],
    htmlReporter: { fileName: `reports/mutation/${slug}.html` },
    jsonReporter: { fileName: `reports/mutation/${slug}.json` },
    logLevel: 'warn' as PartialStrykerOptions['logLevel'],
    timeoutMS: 10_000,
  };
  const started = Date.now();
  const Stryker = await loadStryker();
  const results = await new Stryker(options).runMutationTest();
  const ms = Date.now() - started;
  const t = tally(results);
  const valid = t.killed + t.survived + t.noCoverage;
  const score = valid === 0 ? 100 : (100 * t.killed) / valid;
  const line = `mutation score ${name}: ${score.toFixed(1)}% killed (${t.killed}/${valid}; ${t.survived} survived, ${t.noCoverage} no coverage, ${t.ignored} marked equivalent) in ${duration(ms)}`;
  const survivors = results
    .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
    .sort((a, b) => a.fileName.localeCompare(b.fileName) || a.location.start.line - b.location.start.line);
  if (survivors.length > 0 && process.env.MUTATE_QUIET !== '1') {
    console.log(`\n${name}: ${survivors.length} surviving mutant(s)`);
    for (const m of survivors) console.log(survivorLine(m));
  }
  return { line, ms };
}

// The validators are generated by the build (gitignored); the document rules' tests need them.
if (!existsSync(join(root, 'src/documents/generated/buildspec.cjs'))) {
  const gen = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen-validators.ts'], {
    stdio: 'inherit',
  });
  if (gen.status !== 0) process.exit(gen.status ?? 1);
}

const chosen = selectScopes(process.argv.slice(2));
const started = Date.now();
const summary: string[] = [];
for (const name of chosen) {
  const { line } = await runScope(name, SCOPES[name]!);
  summary.push(line);
}
console.log(
  `\n${summary.join('\n')}\nmutation run: ${chosen.length} scope(s) in ${duration(Date.now() - started)}`,
);
