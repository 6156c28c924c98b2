import { type BuildspecDefinition, brand, compact } from '../definition.js';
import type { Buildspec } from '../documents.js';
import { assertName } from './names.js';

export type BuildspecProps = Omit<Buildspec, 'version'> & {
  /**
   * Names the emitted file: `builds/<name>/buildspec.yml`.
   */
  name: string;
  /**
   * Buildspec version. Emitted as an unquoted YAML number (batch builds reject the string "0.2").
   * 0.1 is legacy (each command runs in its own shell) and kept only for imported buildspecs.
   * @default 0.2
   * @see https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html
   */
  version?: 0.2 | 0.1;
};

/**
 * A CodeBuild buildspec. Keys are the buildspec's own (`pre_build`, `exported-variables`, ...), so
 * the AWS reference reads one to one.
 * @see https://docs.aws.amazon.com/codebuild/latest/userguide/build-spec-ref.html
 */
export function defineBuildspec(props: BuildspecProps): BuildspecDefinition {
  const { name, version, ...rest } = props;
  assertName('defineBuildspec', name);
  const document = compact({ version: version ?? 0.2, ...rest }) as Buildspec;
  return brand({ kind: 'buildspec' as const, name, document });
}
