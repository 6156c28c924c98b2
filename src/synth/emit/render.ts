import { Document, isMap, isScalar } from 'yaml';

/**
 * The one YAML profile synth writes: 2-space indent, no line folding, block sequences indented
 * under their key, plain scalars where YAML 1.2 reads them back as the same value (the library
 * quotes a string such as "0644" that would otherwise read as a number, so `mode` stays a string).
 */
const YAML_OPTIONS = {
  indent: 2,
  indentSeq: true,
  lineWidth: 0,
  minContentWidth: 0,
  defaultStringType: 'PLAIN',
  defaultKeyType: 'PLAIN',
  nullStr: '~',
} as const;

export interface YamlRenderOptions {
  /** Comment lines placed before the document. */
  header: string[];
  /**
   * Render a top-level numeric `version` with at least one fraction digit: appspec needs the float
   * `0.0` (the agent rejects `0` read as an integer by some parsers, and a quoted "0.0").
   */
  floatVersion?: boolean;
}

export function renderYaml(value: unknown, options: YamlRenderOptions): string {
  const doc = new Document(value, { version: '1.2' });
  if (options.floatVersion && isMap(doc.contents)) {
    const node = doc.contents.get('version', true);
    if (isScalar(node) && typeof node.value === 'number') node.minFractionDigits = 1;
  }
  doc.commentBefore = options.header.map((line) => ` ${line}`).join('\n');
  return doc.toString(YAML_OPTIONS);
}

export function renderJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
