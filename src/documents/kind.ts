import type { Reporter } from './report.js';
import type { ParsedSource, PathSegment } from './source.js';

export type GroupChecks = (group: unknown, file: string) => { path: PathSegment[]; message: string }[];

export type DocumentKind = 'buildspec' | 'appspec' | 'pipeline' | 'deployment-group';
export const DOCUMENT_KINDS: readonly DocumentKind[] = [
  'buildspec',
  'appspec',
  'pipeline',
  'deployment-group',
];

/** What a kind's checks may read: the parsed file, where to report, and (optionally) the revision folder. */
export interface KindContext {
  source: ParsedSource;
  value: unknown;
  reporter: Reporter;
  /** When set, `files` sources and hook scripts are looked up in this folder. */
  revisionDir?: string;
  /** The CodeBuild image the buildspec runs on (`--image`, or the build project's), when known. */
  codebuildImage?: string;
  /**
   * Checks a higher layer adds to deployment-group files: what `deploy` refuses for the group's provider
   * (deploy/codedeploy-preview.ts), injected so documents/ does not import the deploy core.
   */
  groupChecks?: GroupChecks;
  /** Injected so rules stay pure; defaults to node:fs existsSync. */
  fileExists: (absolutePath: string) => boolean;
  /** Injected like fileExists: the links under a `files` source that point outside the revision. */
  linksOutside?: (absolutePath: string, revisionDir: string) => readonly { link: string; target: string }[];
}

/**
 * One document kind: how to recognise it from content, and how to check it (schema, then rules).
 * Adding a kind means adding one of these to the registry in kinds.ts.
 */
export interface KindModule {
  kind: DocumentKind;
  /** 0 (certainly not) to 1 (certainly) from the parsed value alone. */
  detect(value: unknown): number;
  /** Schema, then semantic rules; reports through ctx.reporter and never throws for bad input. */
  check(ctx: KindContext): void;
  /** The value in its canonical form (e.g. ECS/Lambda AppSpec keys in PascalCase), when the kind has one. */
  normalize?(value: unknown): unknown;
}
