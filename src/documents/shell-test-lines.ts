/**
 * A command that starts with `[` (`- [ -f package.json ] && npm ci`) is a shell test to its author and a
 * YAML flow sequence to the parser, which then fails on whatever follows (`&&` reads as an anchor, `!=`
 * as a tag). The parser's own message names the symptom; this names the cause.
 */
import type { Diagnostic } from './diagnostics.js';

/** A list item or mapping value written as `[ ` … `]` followed by shell text, or holding shell test operators. */
const SHELL_TEST = /^\s*(?:-\s+|[^\s#"'][^#]*?:\s+)\[\s.*\](?:\s*(?:&&|\|\||;|\||>|<)|\s+[^\s#])/;
const TEST_OPERATOR = /^\s*(?:-\s+|[^\s#"'][^#]*?:\s+)\[\s+(?:!\s|-[a-zA-Z]\s|"?\$)/;

const FROM_YAML_PARSER = new Set(['source/yaml-syntax', 'source/unknown-tag']);

/** Rewrites YAML syntax and unknown-tag diagnostics that sit on an unquoted `[ … ]` shell test. */
export function explainShellTests(text: string, diagnostics: Diagnostic[]): void {
  const lines = text.split(/\r?\n/);
  const explained = new Set<number>();
  for (let i = diagnostics.length - 1; i >= 0; i--) {
    const d = diagnostics[i]!;
    if (!FROM_YAML_PARSER.has(d.ruleId)) continue;
    const line = lines[d.line - 1] ?? '';
    if (!SHELL_TEST.test(line) && !TEST_OPERATOR.test(line)) continue;
    if (explained.has(d.line)) {
      diagnostics.splice(i, 1);
      continue;
    }
    explained.add(d.line);
    const col = line.indexOf('[') + 1;
    d.ruleId = 'source/yaml-syntax';
    d.message =
      'this command starts with `[`, so YAML reads `[ … ]` as a list and cannot read the rest of the line; the shell test never reaches the shell';
    d.hint = "quote the whole command, e.g. - '[ -f x ] && npm ci', or write `test -f x && …`";
    d.col = col;
    delete d.endLine;
    delete d.endCol;
  }
}
