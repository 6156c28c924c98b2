/**
 * SARIF 2.1.0 (OASIS), the format code-scanning services read (GitHub code scanning, Azure DevOps, IDE
 * viewers): one run whose tool.driver lists every rule of the catalog with its help text and a link to its
 * section of docs/rules.md; one result per diagnostic, with its rule, level and physical location; one
 * invocation holding the exit code. The test suite validates the output against the official schema.
 */
import { type RuleId, rules } from '../../documents/catalog.js';
import { VERSION } from '../version.js';
import type { FindingsRun, ReportedDiagnostic } from './findings.js';

/** Where docs/rules.md is published; each rule's helpUri is its section there. */
export const RULES_DOC_URL = 'https://github.com/conveyor-cicd/conveyor/blob/main/docs/rules.md';
const INFORMATION_URI = 'https://github.com/conveyor-cicd/conveyor';

/** GitHub's heading anchor for `### ruleId`: lower case, punctuation other than `-` and `_` dropped. */
export function ruleAnchor(ruleId: string): string {
  return ruleId
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replaceAll(' ', '-');
}

const LEVEL: Record<ReportedDiagnostic['severity'], 'error' | 'warning' | 'note'> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
};

const RULE_IDS = Object.keys(rules) as RuleId[];
const RULE_INDEX = new Map<string, number>(RULE_IDS.map((id, i) => [id, i]));

function driverRules() {
  return RULE_IDS.map((id) => {
    const info: { severity: ReportedDiagnostic['severity']; description: string; evidence?: string } =
      rules[id];
    const help = info.evidence ? `${info.description}\n\nEvidence: ${info.evidence}` : info.description;
    return {
      id,
      shortDescription: { text: info.description },
      help: { text: help, markdown: `${help}\n\n[${id} in rules.md](${RULES_DOC_URL}#${ruleAnchor(id)})` },
      helpUri: `${RULES_DOC_URL}#${ruleAnchor(id)}`,
      defaultConfiguration: { level: LEVEL[info.severity] },
    };
  });
}

/** A relative path stays relative (resolved against %SRCROOT%, the folder the command ran in). */
function artifactLocation(file: string) {
  const uri = file.split('\\').join('/').split('/').map(encodeURIComponent).join('/');
  return file.startsWith('/') ? { uri: `file://${uri}` } : { uri, uriBaseId: '%SRCROOT%' };
}

function result(d: ReportedDiagnostic) {
  const index = RULE_INDEX.get(d.ruleId);
  const text = `${d.where ? `${d.where}: ` : ''}${d.message}${d.hint ? ` (${d.hint})` : ''}`;
  const region =
    d.line > 0
      ? {
          startLine: d.line,
          ...(d.col > 0 ? { startColumn: d.col } : {}),
          ...(d.endLine !== undefined && d.endLine > 0 ? { endLine: d.endLine } : {}),
          ...(d.endCol !== undefined && d.endCol > 0 ? { endColumn: d.endCol } : {}),
        }
      : undefined;
  return {
    ruleId: d.ruleId,
    ...(index !== undefined ? { ruleIndex: index } : {}),
    level: LEVEL[d.severity],
    message: { text },
    locations: [
      {
        physicalLocation: { artifactLocation: artifactLocation(d.file), ...(region ? { region } : {}) },
        ...(d.where ? { logicalLocations: [{ fullyQualifiedName: d.where }] } : {}),
      },
    ],
  };
}

export function renderSarif(run: FindingsRun) {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'conveyor',
            version: VERSION,
            semanticVersion: VERSION,
            informationUri: INFORMATION_URI,
            rules: driverRules(),
          },
        },
        invocations: [
          {
            commandLine: ['conveyor', ...run.args].join(' '),
            arguments: [...run.args],
            exitCode: run.exitCode,
            executionSuccessful: true,
          },
        ],
        columnKind: 'utf16CodeUnits',
        results: run.diagnostics.map(result),
      },
    ],
  };
}
