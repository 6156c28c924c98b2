/**
 * docs/rules.md is generated from the rule catalog plus real output: each rule's example is a line the
 * golden fixtures actually print (so the docs cannot show output the CLI no longer gives).
 * UPDATE_DOCS=1 rewrites the file.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rules } from '../../../src/documents/catalog.js';

const root = join(import.meta.dirname, '../../..');
const fixtures = join(root, 'test/fixtures');

function goldenLines(): { fixture: string; line: string }[] {
  const out: { fixture: string; line: string }[] = [];
  for (const kind of readdirSync(fixtures).sort())
    for (const verdict of ['ok', 'err']) {
      // Other areas keep fixtures of their own shape beside the golden validate pairs.
      if (!existsSync(join(fixtures, kind, verdict))) continue;
      for (const f of readdirSync(join(fixtures, kind, verdict))
        .filter((x) => x.endsWith('.out'))
        .sort()) {
        const fixture = `test/fixtures/${kind}/${verdict}/${f}`;
        for (const line of readFileSync(join(root, fixture), 'utf8').split('\n'))
          if (line) out.push({ fixture, line });
      }
    }
  return out;
}

const SECTIONS: [string, string][] = [
  ['source', 'Reading the file (every kind)'],
  ['internal', 'Internal'],
  ['buildspec', 'buildspec (CodeBuild)'],
  ['appspec', 'appspec (CodeDeploy: EC2/on-premises, ECS, Lambda)'],
  ['pipeline', 'pipeline (CodePipeline create/update structure, V1 and V2)'],
  ['deployment-group', 'deployment-group (Conveyor deployment group files)'],
  ['cross', 'Across files (a pipeline with the buildspec and appspec it uses)'],
];

function renderRulesDoc(): string {
  const lines = goldenLines();
  const out: string[] = [
    '# Validation rules',
    '',
    '<!-- Generated from src/documents/catalog.ts and the golden fixtures by test/unit/documents/rules-doc.test.ts (UPDATE_DOCS=1). -->',
    '',
    'Every problem `conveyor validate` reports carries one of these rule ids, printed as',
    '`file:line:col severity rule-id message`. Examples are real output of the fixtures named with them.',
    '',
    '## The principle: works here, works on AWS',
    '',
    'A file Conveyor accepts must be one AWS accepts, and a file AWS runs must not be refused here. So each',
    "rule's severity follows what AWS does with the file, not how bad it looks:",
    '',
    '- **error**: AWS rejects the file or the build/deployment fails on it. Either a normative rule of the',
    '  AWS reference ("required", "allowed values", "must"), or the behaviour of the service or the agent',
    '  where it is known (the CodeDeploy agent fails on an empty lifecycle event and on a quoted `version`).',
    '- **warning**: AWS accepts the file, but it is almost certainly a mistake: a key AWS ignores (so what',
    '  it holds never runs), a YAML typing pitfall, an empty command.',
    '- **When real-world evidence contradicts the reference, the evidence wins**, and the rule says so',
    '  below under "Evidence". Example: the reference wants a `phases` section, yet batch-only buildspecs',
    "  without one run in production; AWS's own buildspecs use a bare `-` between commands and run.",
    '',
    'Errors make `conveyor validate` and `conveyor synth --check` exit 1; warnings are printed and the exit',
    'code stays 0, unless CI asks for more: `--strict` fails on any warning, `--max-warnings N` fails when',
    'there are more than N (both exit 1, and say why on stderr and in `--json` as `summary.failedBy`).',
    '',
  ];
  for (const [prefix, title] of SECTIONS) {
    const ids = Object.keys(rules).filter((id) => id.startsWith(`${prefix}/`));
    if (ids.length === 0) continue;
    out.push(`## ${title}`, '');
    for (const id of ids) {
      const info = rules[id as keyof typeof rules];
      out.push(`### ${id}`, '', `**${info.severity}** — ${info.description}`, '');
      if ('evidence' in info && info.evidence) out.push(`Evidence: ${info.evidence}`, '');
      const example = lines.find((l) => l.line.includes(` ${info.severity} ${id} `));
      if (example)
        out.push(
          `Example (\`${example.fixture.replace(/\.out$/, '')}\`):`,
          '',
          '```',
          example.line,
          '```',
          '',
        );
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

describe('docs/rules.md', () => {
  it('lists every rule id of the catalog, with examples taken from real output', () => {
    const expected = renderRulesDoc();
    if (process.env.UPDATE_DOCS) writeFileSync(join(root, 'docs/rules.md'), expected);
    const doc = readFileSync(join(root, 'docs/rules.md'), 'utf8');
    for (const id of Object.keys(rules)) expect(doc).toContain(`### ${id}\n`);
    expect(doc).toBe(expected);
  });

  it('every rule id used in the sources is in the catalog', () => {
    const used = new Set<string>();
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== 'generated') walk(p);
        } else if (e.name.endsWith('.ts'))
          for (const m of readFileSync(p, 'utf8').matchAll(
            /'((?:source|buildspec|appspec|pipeline|cross|internal)\/[a-z0-9-]+)'/g,
          ))
            used.add(m[1]!);
      }
    };
    walk(join(root, 'src/documents'));
    expect([...used].filter((id) => !(id in rules))).toEqual([]);
  });
});
